#include "runbook/document.h"

#include <cctype>
#include <set>
#include <sstream>

#include "core/text.h"
#include "runbook/diagrams.h"

namespace riposte::runbook {

Span text(std::string s) {
  return {Span::Text, std::move(s)};
}
Span code(std::string s) {
  return {Span::Code, std::move(s)};
}
Span strong(std::string s) {
  return {Span::Strong, std::move(s)};
}

Line& operator<<(Line& l, Span s) {
  l.push_back(std::move(s));
  return l;
}
Line& operator<<(Line& l, const Line& more) {
  l.insert(l.end(), more.begin(), more.end());
  return l;
}
Line operator<<(Line&& l, Span s) {
  l.push_back(std::move(s));
  return std::move(l);
}
Line operator<<(Line&& l, const Line& more) {
  l.insert(l.end(), more.begin(), more.end());
  return std::move(l);
}
Line line(std::string s) {
  return Line{text(std::move(s))};
}

// A list of spans separated by ", " (each a code span).
Line codeList(const std::vector<std::string>& items) {
  Line l;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) l << text(", ");
    l << code(items[i]);
  }
  return l;
}

void Doc::heading(int level, std::string s) {
  Block b;
  b.kind = Block::Heading;
  b.level = level;
  b.line = line(std::move(s));
  blocks_.push_back(std::move(b));
}

void Doc::para(Line l) {
  Block b;
  b.kind = Block::Para;
  b.line = std::move(l);
  blocks_.push_back(std::move(b));
}

void Doc::list(std::vector<Item> items, bool ordered) {
  if (items.empty()) return;
  Block b;
  b.kind = ordered ? Block::OrderedList : Block::List;
  b.items = std::move(items);
  blocks_.push_back(std::move(b));
}

void Doc::codeBlock(std::string lang, std::string c) {
  Block b;
  b.kind = Block::CodeBlock;
  b.lang = std::move(lang);
  b.code = std::move(c);
  blocks_.push_back(std::move(b));
}

void Doc::table(std::vector<Line> head, std::vector<std::vector<Line>> rows) {
  Block b;
  b.kind = Block::Table;
  b.head = std::move(head);
  b.rows = std::move(rows);
  blocks_.push_back(std::move(b));
}

void Doc::diagram(const json::value* definition) {
  Block b;
  b.kind = Block::Diagram;
  b.definition = definition;
  blocks_.push_back(std::move(b));
}

namespace {

// ----- Markdown

// Escapes what CommonMark would read as markup inside a line. '<' only starts markup (HTML,
// autolinks) before a letter, '/', '!' or '?', so "4 ≤ severity < 7" stays readable.
std::string mdEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '|':
        out += '\\';
        break;
      case '<': {
        char n = i + 1 < s.size() ? s[i + 1] : ' ';
        if (std::isalpha(static_cast<unsigned char>(n)) || n == '/' || n == '!' || n == '?')
          out += '\\';
        break;
      }
      default:
        break;
    }
    out += c;
  }
  return out;
}

std::string mdCode(std::string s, bool in_table) {
  if (in_table) {
    std::string e;
    for (char c : s) {
      if (c == '|') e += '\\';
      e += c;
    }
    s = std::move(e);
  }
  if (s.find('`') == std::string::npos) return "`" + s + "`";
  return "`` " + s + " ``";
}

std::string mdLine(const Line& l, bool in_table = false) {
  std::string out;
  for (const auto& s : l) {
    switch (s.kind) {
      case Span::Text:
        out += mdEscape(s.text);
        break;
      case Span::Code:
        out += mdCode(s.text, in_table);
        break;
      case Span::Strong:
        out += "**" + mdEscape(s.text) + "**";
        break;
    }
  }
  return out;
}

void mdItems(std::ostringstream& os, const std::vector<Item>& items, bool ordered,
             const std::string& indent) {
  int n = 0;
  for (const auto& it : items) {
    std::string marker = ordered ? std::to_string(++n) + ". " : "- ";
    os << indent << marker << mdLine(it.line) << "\n";
    if (!it.kids.empty()) mdItems(os, it.kids, false, indent + std::string(marker.size(), ' '));
  }
}

// ----- HTML

std::string htmlLine(const Line& l) {
  std::string out;
  for (const auto& s : l) {
    switch (s.kind) {
      case Span::Text:
        out += htmlEscape(s.text);
        break;
      case Span::Code:
        out += "<code>" + htmlEscape(s.text) + "</code>";
        break;
      case Span::Strong:
        out += "<strong>" + htmlEscape(s.text) + "</strong>";
        break;
    }
  }
  return out;
}

std::string slug(const Line& l) {
  std::string out;
  for (const auto& s : l) {
    for (char c : s.text) {
      unsigned char u = static_cast<unsigned char>(c);
      if (std::isalnum(u)) {
        out += static_cast<char>(std::tolower(u));
      } else if ((c == ' ' || c == '-' || c == '_' || c == '.') && !out.empty() &&
                 out.back() != '-') {
        out += '-';
      }
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

void htmlItems(std::ostringstream& os, const std::vector<Item>& items, bool ordered) {
  os << (ordered ? "<ol>\n" : "<ul>\n");
  for (const auto& it : items) {
    os << "<li>" << htmlLine(it.line);
    if (!it.kids.empty()) {
      os << "\n";
      htmlItems(os, it.kids, false);
    }
    os << "</li>\n";
  }
  os << (ordered ? "</ol>\n" : "</ul>\n");
}

constexpr const char* kCss =
    "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;"
    "max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1d1d1f}"
    "code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}"
    "pre{background:#f6f8fa;padding:.75rem;overflow:auto;border-radius:6px}"
    "table{border-collapse:collapse;margin:.5rem 0}"
    "th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}"
    "th{background:#f6f8fa}"
    ".diagram{overflow:auto;margin:.5rem 0}"
    "h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem}";

}  // namespace

std::string htmlEscape(const std::string& s) {
  return text::htmlEscape(s);
}

std::string renderMarkdown(const Doc& doc) {
  std::ostringstream os;
  bool first = true;
  for (const auto& b : doc.blocks()) {
    if (!first) os << "\n";
    first = false;
    switch (b.kind) {
      case Block::Heading:
        os << std::string(static_cast<std::size_t>(b.level), '#') << " " << mdLine(b.line) << "\n";
        break;
      case Block::Para:
        os << mdLine(b.line) << "\n";
        break;
      case Block::List:
      case Block::OrderedList:
        mdItems(os, b.items, b.kind == Block::OrderedList, "");
        break;
      case Block::CodeBlock:
        os << "```" << b.lang << "\n" << b.code;
        if (!b.code.empty() && b.code.back() != '\n') os << "\n";
        os << "```\n";
        break;
      case Block::Table: {
        os << "|";
        for (const auto& h : b.head) os << " " << mdLine(h, true) << " |";
        os << "\n|";
        for (std::size_t i = 0; i < b.head.size(); ++i) os << "---|";
        os << "\n";
        for (const auto& r : b.rows) {
          os << "|";
          for (const auto& c : r) os << " " << mdLine(c, true) << " |";
          os << "\n";
        }
        break;
      }
      case Block::Diagram:
        os << "```mermaid\n" << mermaidDiagram(*b.definition) << "```\n";
        break;
    }
  }
  return os.str();
}

std::string renderHtml(const Doc& doc, const std::string& title) {
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
     << htmlEscape(title) << "</title>\n<style>" << kCss << "</style>\n</head>\n<body>\n";
  std::set<std::string> ids;
  for (const auto& b : doc.blocks()) {
    switch (b.kind) {
      case Block::Heading: {
        std::string id = slug(b.line), base = id;
        for (int n = 2; !ids.insert(id).second; ++n) id = base + "-" + std::to_string(n);
        os << "<h" << b.level << " id=\"" << id << "\">" << htmlLine(b.line) << "</h" << b.level
           << ">\n";
        break;
      }
      case Block::Para:
        os << "<p>" << htmlLine(b.line) << "</p>\n";
        break;
      case Block::List:
      case Block::OrderedList:
        htmlItems(os, b.items, b.kind == Block::OrderedList);
        break;
      case Block::CodeBlock:
        os << "<pre><code>" << htmlEscape(b.code) << "</code></pre>\n";
        break;
      case Block::Table:
        os << "<table>\n<thead><tr>";
        for (const auto& h : b.head) os << "<th>" << htmlLine(h) << "</th>";
        os << "</tr></thead>\n<tbody>\n";
        for (const auto& r : b.rows) {
          os << "<tr>";
          for (const auto& c : r) os << "<td>" << htmlLine(c) << "</td>";
          os << "</tr>\n";
        }
        os << "</tbody>\n</table>\n";
        break;
      case Block::Diagram:
        os << "<div class=\"diagram\">\n" << svgDiagram(*b.definition) << "</div>\n";
        break;
    }
  }
  os << "</body>\n</html>\n";
  return os.str();
}

}  // namespace riposte::runbook
