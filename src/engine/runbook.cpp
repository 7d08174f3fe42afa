#include "engine/runbook.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace riposte::engine {
namespace fs = std::filesystem;

namespace {

// ===================================================================== small helpers

const json::object* asObject(const json::value* v) {
  return v ? v->if_object() : nullptr;
}

const json::value* member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::string stringMember(const json::object& o, std::string_view key, std::string def = "") {
  const auto* v = member(o, key);
  return v && v->is_string() ? std::string(v->get_string()) : def;
}

std::string numberText(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
    return std::string(buf, r.ptr);
  }
  return toJson(v);
}

// JSON text of a scalar (strings quoted), numbers in their shortest form.
std::string valueText(const json::value& v) {
  if (v.is_number()) return numberText(v);
  return toJson(v);
}

std::string joinStrings(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// "a", "a or b", "a, b or c".
std::string joinWords(const std::vector<std::string>& v, std::string_view last) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += (i + 1 == v.size()) ? std::string(" ") + std::string(last) + " " : ", ";
    out += v[i];
  }
  return out;
}

std::string truncateText(const std::string& s, std::size_t max_chars) {
  // Counts UTF-8 code points, cuts on a code point boundary.
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (count == max_chars) return s.substr(0, i) + "…";
      ++count;
    }
  }
  return s;
}

std::size_t utf8Length(const std::string& s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

bool startsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool endsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string lastSegment(const std::string& dotted) {
  auto p = dotted.rfind('.');
  return p == std::string::npos ? dotted : dotted.substr(p + 1);
}

std::optional<std::string> readTextFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ===================================================================== document model
// One model, two renderers: the Markdown and HTML runbooks say exactly the same things.

struct Span {
  enum Kind { Text, Code, Strong } kind = Text;
  std::string text;
};
using Line = std::vector<Span>;

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

struct Item {
  Line line;
  std::vector<Item> kids;
};

struct Block {
  enum Kind { Heading, Para, List, OrderedList, CodeBlock, Table, Diagram } kind = Para;
  int level = 0;
  Line line;
  std::vector<Item> items;
  std::string lang, code;
  std::vector<Line> head;
  std::vector<std::vector<Line>> rows;
  const json::value* definition = nullptr;  // Diagram
};

class Doc {
 public:
  void heading(int level, std::string s) {
    Block b;
    b.kind = Block::Heading;
    b.level = level;
    b.line = line(std::move(s));
    blocks_.push_back(std::move(b));
  }
  void para(Line l) {
    Block b;
    b.kind = Block::Para;
    b.line = std::move(l);
    blocks_.push_back(std::move(b));
  }
  void list(std::vector<Item> items, bool ordered = false) {
    if (items.empty()) return;
    Block b;
    b.kind = ordered ? Block::OrderedList : Block::List;
    b.items = std::move(items);
    blocks_.push_back(std::move(b));
  }
  void codeBlock(std::string lang, std::string c) {
    Block b;
    b.kind = Block::CodeBlock;
    b.lang = std::move(lang);
    b.code = std::move(c);
    blocks_.push_back(std::move(b));
  }
  void table(std::vector<Line> head, std::vector<std::vector<Line>> rows) {
    Block b;
    b.kind = Block::Table;
    b.head = std::move(head);
    b.rows = std::move(rows);
    blocks_.push_back(std::move(b));
  }
  void diagram(const json::value* definition) {
    Block b;
    b.kind = Block::Diagram;
    b.definition = definition;
    blocks_.push_back(std::move(b));
  }
  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  std::vector<Block> blocks_;
};

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

// ----- HTML

std::string htmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

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

// ===================================================================== patterns in words

struct PNode {
  enum Kind { All, Any, Leaf } kind = All;
  std::vector<PNode> kids;
  std::string path;                        // Leaf: dotted path
  std::vector<const json::value*> values;  // Leaf: the match values (OR)
};

PNode parsePattern(const json::object& o, const std::string& prefix) {
  PNode all;
  for (const auto& kv : o) {
    std::string key(kv.key());
    const json::value& v = kv.value();
    if (key == "$or" && v.is_array()) {
      PNode any;
      any.kind = PNode::Any;
      for (const auto& e : v.get_array()) {
        if (e.is_object()) any.kids.push_back(parsePattern(e.get_object(), prefix));
      }
      all.kids.push_back(std::move(any));
      continue;
    }
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (v.is_object()) {
      PNode sub = parsePattern(v.get_object(), path);
      for (auto& k : sub.kids) all.kids.push_back(std::move(k));
    } else {
      PNode leaf;
      leaf.kind = PNode::Leaf;
      leaf.path = path;
      if (v.is_array()) {
        for (const auto& e : v.get_array()) leaf.values.push_back(&e);
      } else {
        leaf.values.push_back(&v);
      }
      all.kids.push_back(std::move(leaf));
    }
  }
  return all;
}

// "a", "a or b", "a, b or c" of JSON values.
std::string valuesOr(const std::vector<std::string>& v) {
  return joinWords(v, "or");
}

std::vector<std::string> stringsOf(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& e : v.get_array()) out.push_back(valueText(e));
  } else {
    out.push_back(valueText(v));
  }
  return out;
}

// One matcher object ({"prefix": …}, {"numeric": […]}, …) about field `label`, in words.
std::string operatorWords(const std::string& label, const json::object& m) {
  if (m.empty()) return label + " matches {}";
  const std::string op(m.begin()->key());
  const json::value& v = m.begin()->value();
  auto ignoreCaseOf = [](const json::value& x) -> const json::value* {
    const auto* o = x.if_object();
    return o ? member(*o, "equals-ignore-case") : nullptr;
  };
  if (op == "prefix" || op == "suffix") {
    std::string verb = op == "prefix" ? " starts with " : " ends with ";
    if (const auto* ic = ignoreCaseOf(v)) return label + verb + valueText(*ic) + " (ignoring case)";
    return label + verb + valueText(v);
  }
  if (op == "equals-ignore-case") return label + " equals " + valueText(v) + " ignoring case";
  if (op == "wildcard") return label + " matches the wildcard " + valueText(v);
  if (op == "exactly") return label + " is exactly " + valueText(v);
  if (op == "exists") {
    return label + ((v.is_bool() && !v.get_bool()) ? " is absent" : " is present");
  }
  if (op == "cidr") return label + " is an IP address in " + valueText(v);
  if (op == "numeric" && v.is_array()) {
    const auto& a = v.get_array();
    auto sym = [](const std::string& o) -> std::string {
      if (o == ">=") return "≥";
      if (o == "<=") return "≤";
      return o;
    };
    auto opAt = [&](std::size_t i) {
      return i < a.size() && a[i].is_string() ? std::string(a[i].get_string()) : std::string();
    };
    auto numAt = [&](std::size_t i) { return i < a.size() ? valueText(a[i]) : std::string("?"); };
    if (a.size() >= 4 && (opAt(0) == ">" || opAt(0) == ">=")) {
      // [">=", lo, "<", hi] reads "lo ≤ label < hi".
      std::string lo_sym = opAt(0) == ">=" ? "≤" : "<";
      return numAt(1) + " " + lo_sym + " " + label + " " + sym(opAt(2)) + " " + numAt(3);
    }
    return label + " " + sym(opAt(0)) + " " + numAt(1);
  }
  if (op == "anything-but") {
    if (const auto* o = v.if_object(); o && !o->empty()) {
      const std::string inner(o->begin()->key());
      auto vals = stringsOf(o->begin()->value());
      bool many = vals.size() > 1;
      if (inner == "prefix") {
        return label + (many ? " starts with none of " + valuesOr(vals)
                             : " does not start with " + vals[0]);
      }
      if (inner == "suffix") {
        return label +
               (many ? " ends with none of " + valuesOr(vals) : " does not end with " + vals[0]);
      }
      if (inner == "equals-ignore-case") {
        return label + (many ? " is none of " + valuesOr(vals) : " is not " + vals[0]) +
               " in any letter case";
      }
      if (inner == "wildcard") {
        return label + (many ? " matches none of the wildcards " + valuesOr(vals)
                             : " does not match the wildcard " + vals[0]);
      }
      return label + " is anything but " + toJson(v);
    }
    auto vals = stringsOf(v);
    if (vals.size() == 1) return label + " is anything but " + vals[0];
    if (vals.size() == 2) return label + " is neither " + vals[0] + " nor " + vals[1];
    return label + " is none of " + joinWords(vals, "or");
  }
  return label + " matches " + toJson(json::value(m));
}

// A leaf (a field and its list of accepted values/matchers) in words.
std::string leafWords(const std::string& label, const std::vector<const json::value*>& values) {
  std::vector<std::string> exact, parts;
  for (const auto* v : values) {
    if (v->is_object()) {
      parts.push_back(operatorWords(label, v->get_object()));
    } else {
      exact.push_back(valueText(*v));
    }
  }
  std::vector<std::string> out;
  if (exact.size() == 1) out.push_back(label + " is " + exact[0]);
  if (exact.size() == 2) out.push_back(label + " is " + exact[0] + " or " + exact[1]);
  if (exact.size() > 2) out.push_back(label + " is one of " + joinWords(exact, "or"));
  for (auto& p : parts) out.push_back(std::move(p));
  if (out.empty()) return label + " matches nothing";
  return joinStrings(out, " or ");
}

std::string nodeWords(const PNode& n, bool short_labels, bool top) {
  switch (n.kind) {
    case PNode::Leaf:
      return leafWords(short_labels ? lastSegment(n.path) : n.path, n.values);
    case PNode::Any: {
      std::vector<std::string> alts;
      for (const auto& k : n.kids) {
        std::string w = nodeWords(k, short_labels, false);
        alts.push_back(k.kids.size() > 1 ? "(" + w + ")" : w);
      }
      return "either " + joinStrings(alts, " or ");
    }
    case PNode::All: {
      std::vector<std::string> parts;
      for (const auto& k : n.kids) parts.push_back(nodeWords(k, short_labels, false));
      return top ? joinWords(parts, "and") : joinStrings(parts, " and ");
    }
  }
  return "";
}

void nodeLines(const PNode& n, const std::string& indent, std::vector<std::string>& out) {
  for (const auto& k : n.kids) {
    if (k.kind == PNode::Leaf) {
      out.push_back(indent + leafWords(k.path, k.values));
    } else if (k.kind == PNode::Any) {
      out.push_back(indent + "any one of:");
      int alt = 0;
      for (const auto& a : k.kids) {
        if (a.kids.size() == 1 && a.kids[0].kind == PNode::Leaf) {
          out.push_back(indent + "  " + leafWords(a.kids[0].path, a.kids[0].values));
        } else {
          out.push_back(indent + "  alternative " + std::to_string(++alt) + ", all of:");
          nodeLines(a, indent + "    ", out);
        }
      }
    } else {
      nodeLines(k, indent, out);
    }
  }
}

// The events a pattern is about ("GuardDuty findings"), from exact source / detail-type
// values; the leaves used are removed from `n`.
std::string patternSubject(PNode& n) {
  static const std::map<std::string, std::string> kServices = {
      {"aws.guardduty", "GuardDuty"},
      {"aws.securityhub", "Security Hub"},
      {"aws.inspector2", "Inspector"},
      {"aws.macie", "Macie"},
      {"aws.access-analyzer", "IAM Access Analyzer"},
      {"aws.config", "AWS Config"},
      {"aws.cloudtrail", "CloudTrail"},
      {"aws.ec2", "EC2"},
      {"aws.iam", "IAM"},
      {"aws.health", "AWS Health"}};
  auto exactStrings = [](const PNode& leaf) {
    std::vector<std::string> out;
    for (const auto* v : leaf.values) {
      if (!v->is_string()) return std::vector<std::string>{};
      out.emplace_back(v->get_string());
    }
    return out;
  };
  std::vector<std::string> sources, types;
  int source_at = -1, type_at = -1;
  for (std::size_t i = 0; i < n.kids.size(); ++i) {
    const auto& k = n.kids[i];
    if (k.kind != PNode::Leaf) continue;
    if (k.path == "source") {
      sources = exactStrings(k);
      if (!sources.empty()) source_at = static_cast<int>(i);
    } else if (k.path == "detail-type") {
      types = exactStrings(k);
      if (!types.empty()) type_at = static_cast<int>(i);
    }
  }
  std::string subject;
  if (sources.size() == 1 && kServices.count(sources[0])) {
    const std::string& svc = kServices.at(sources[0]);
    if (types.size() == 1 && types[0].find("Finding") != std::string::npos) {
      subject = svc + " findings";
    } else if (!types.empty()) {
      std::vector<std::string> q;
      for (const auto& t : types) q.push_back("\"" + t + "\"");
      subject = svc + " events of type " + joinWords(q, "or");
    } else {
      subject = svc + " events";
    }
  } else {
    subject = "Events";
    if (!sources.empty()) {
      std::vector<std::string> q;
      for (const auto& s : sources) q.push_back("\"" + s + "\"");
      subject += " from " + joinWords(q, "or");
    } else {
      source_at = -1;
    }
    if (!types.empty()) {
      std::vector<std::string> q;
      for (const auto& t : types) q.push_back("\"" + t + "\"");
      subject += " of detail-type " + joinWords(q, "or");
    } else {
      type_at = -1;
    }
  }
  std::vector<PNode> rest;
  for (std::size_t i = 0; i < n.kids.size(); ++i) {
    if (static_cast<int>(i) == source_at || static_cast<int>(i) == type_at) continue;
    rest.push_back(std::move(n.kids[i]));
  }
  n.kids = std::move(rest);
  return subject;
}

// ===================================================================== playbooks

std::string choiceOpWords(const std::string& op, const json::value& v, bool rhs_path) {
  std::string base = op;
  if (rhs_path && endsWith(base, "Path")) base = base.substr(0, base.size() - 4);
  std::string rhs =
      rhs_path ? (v.is_string() ? std::string(v.get_string()) : toJson(v)) : valueText(v);
  bool yes = !v.is_bool() || v.get_bool();
  static const std::map<std::string, std::string> kCompare = {
      {"StringEquals", "is"},
      {"StringLessThan", "sorts before"},
      {"StringGreaterThan", "sorts after"},
      {"StringLessThanEquals", "sorts before or equals"},
      {"StringGreaterThanEquals", "sorts after or equals"},
      {"StringMatches", "matches the pattern"},
      {"NumericEquals", "="},
      {"NumericLessThan", "<"},
      {"NumericGreaterThan", ">"},
      {"NumericLessThanEquals", "≤"},
      {"NumericGreaterThanEquals", "≥"},
      {"BooleanEquals", "is"},
      {"TimestampEquals", "is the time"},
      {"TimestampLessThan", "is before"},
      {"TimestampGreaterThan", "is after"},
      {"TimestampLessThanEquals", "is at or before"},
      {"TimestampGreaterThanEquals", "is at or after"}};
  if (auto it = kCompare.find(base); it != kCompare.end()) return it->second + " " + rhs;
  if (op == "IsNull") return yes ? "is null" : "is not null";
  if (op == "IsPresent") return yes ? "is present" : "is absent";
  if (op == "IsNumeric") return yes ? "is a number" : "is not a number";
  if (op == "IsString") return yes ? "is a string" : "is not a string";
  if (op == "IsBoolean") return yes ? "is a boolean" : "is not a boolean";
  if (op == "IsTimestamp") return yes ? "is a timestamp" : "is not a timestamp";
  return op + " " + rhs;
}

std::string choiceWords(const json::value& rule, bool nested) {
  const auto* o = rule.if_object();
  if (!o) return toJson(rule);
  auto group = [&](const char* key, const char* sep) -> std::optional<std::string> {
    const auto* a = member(*o, key);
    if (!a || !a->is_array()) return std::nullopt;
    std::vector<std::string> parts;
    for (const auto& e : a->get_array()) parts.push_back(choiceWords(e, true));
    std::string s = joinStrings(parts, sep);
    return nested && parts.size() > 1 ? "(" + s + ")" : s;
  };
  if (auto s = group("And", " and ")) return *s;
  if (auto s = group("Or", " or ")) return *s;
  if (const auto* n = member(*o, "Not")) return "not (" + choiceWords(*n, false) + ")";
  if (const auto* c = member(*o, "Condition")) {
    return "the condition " + (c->is_string() ? std::string(c->get_string()) : toJson(*c)) +
           " holds";
  }
  std::string var = stringMember(*o, "Variable", "$");
  for (const auto& kv : *o) {
    std::string k(kv.key());
    if (k == "Variable" || k == "Next" || k == "Comment" || k == "Assign" || k == "Output") {
      continue;
    }
    bool path = endsWith(k, "Path") && k.rfind("Is", 0) != 0;
    return var + " " + choiceOpWords(k, kv.value(), path);
  }
  return var + " (no test)";
}

struct GEdge {
  int from = 0, to = 0;
  enum Kind { Next, Choice, Default, Catch } kind = Next;
  std::string label;  // "" for Next
};

// A state list (the top level, a Parallel branch or a Map processor) as a graph.
struct Graph {
  std::vector<std::string> names;  // definition order
  std::vector<const json::object*> states;
  std::vector<GEdge> edges;
  int start = -1;
  std::vector<int> layer, discovered;  // per state
  std::vector<bool> back;              // per edge: closes a cycle
  std::vector<int> order;              // execution order
  int layers = 0;

  int find(const std::string& n) const {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == n) return static_cast<int>(i);
    return -1;
  }
};

std::string errorsText(const json::value* errs) {
  std::vector<std::string> e;
  if (errs && errs->is_array()) {
    for (const auto& x : errs->get_array())
      if (x.is_string()) e.emplace_back(x.get_string());
  }
  return joinStrings(e, ", ");
}

Graph buildGraph(const json::value& definition) {
  Graph g;
  const auto* def = definition.if_object();
  if (!def) return g;
  const auto* states = asObject(member(*def, "States"));
  if (!states) return g;
  for (const auto& kv : *states) {
    if (!kv.value().is_object()) continue;
    g.names.emplace_back(kv.key());
    g.states.push_back(&kv.value().get_object());
  }
  g.start = g.find(stringMember(*def, "StartAt"));
  for (std::size_t i = 0; i < g.states.size(); ++i) {
    const auto& s = *g.states[i];
    int from = static_cast<int>(i);
    auto add = [&](const std::string& target, GEdge::Kind kind, std::string label) {
      int to = g.find(target);
      if (to >= 0) g.edges.push_back(GEdge{from, to, kind, std::move(label)});
    };
    if (const auto* n = member(s, "Next"); n && n->is_string()) {
      add(std::string(n->get_string()), GEdge::Next, "");
    }
    if (const auto* cs = member(s, "Choices"); cs && cs->is_array()) {
      for (const auto& c : cs->get_array()) {
        const auto* co = c.if_object();
        if (co) add(stringMember(*co, "Next"), GEdge::Choice, choiceWords(c, false));
      }
    }
    if (const auto* d = member(s, "Default"); d && d->is_string()) {
      add(std::string(d->get_string()), GEdge::Default, "Default");
    }
    if (const auto* cs = member(s, "Catch"); cs && cs->is_array()) {
      for (const auto& c : cs->get_array()) {
        const auto* co = c.if_object();
        if (co) {
          add(stringMember(*co, "Next"), GEdge::Catch,
              "Catch: " + errorsText(member(*co, "ErrorEquals")));
        }
      }
    }
  }

  // Depth-first from StartAt (then from states nothing reaches): discovery order, back edges,
  // and the reverse postorder that orders the longest-path layering.
  const std::size_t n = g.states.size();
  g.discovered.assign(n, -1);
  g.back.assign(g.edges.size(), false);
  std::vector<int> color(n, 0), postorder;
  std::vector<std::vector<int>> out(n);
  for (std::size_t e = 0; e < g.edges.size(); ++e)
    out[static_cast<std::size_t>(g.edges[e].from)].push_back(static_cast<int>(e));
  int counter = 0;
  std::function<void(int)> dfs = [&](int u) {
    color[static_cast<std::size_t>(u)] = 1;
    g.discovered[static_cast<std::size_t>(u)] = counter++;
    for (int e : out[static_cast<std::size_t>(u)]) {
      int v = g.edges[static_cast<std::size_t>(e)].to;
      if (color[static_cast<std::size_t>(v)] == 1) {
        g.back[static_cast<std::size_t>(e)] = true;
      } else if (color[static_cast<std::size_t>(v)] == 0) {
        dfs(v);
      }
    }
    color[static_cast<std::size_t>(u)] = 2;
    postorder.push_back(u);
  };
  if (g.start >= 0) dfs(g.start);
  for (std::size_t i = 0; i < n; ++i)
    if (color[i] == 0) dfs(static_cast<int>(i));
  g.layer.assign(n, 0);
  for (auto it = postorder.rbegin(); it != postorder.rend(); ++it) {
    for (int e : out[static_cast<std::size_t>(*it)]) {
      if (g.back[static_cast<std::size_t>(e)]) continue;
      int v = g.edges[static_cast<std::size_t>(e)].to;
      g.layer[static_cast<std::size_t>(v)] = std::max(g.layer[static_cast<std::size_t>(v)],
                                                      g.layer[static_cast<std::size_t>(*it)] + 1);
    }
  }
  for (int l : g.layer) g.layers = std::max(g.layers, l + 1);
  for (std::size_t i = 0; i < n; ++i) g.order.push_back(static_cast<int>(i));
  std::sort(g.order.begin(), g.order.end(), [&](int a, int b) {
    auto ka = std::make_pair(g.layer[static_cast<std::size_t>(a)],
                             g.discovered[static_cast<std::size_t>(a)]);
    auto kb = std::make_pair(g.layer[static_cast<std::size_t>(b)],
                             g.discovered[static_cast<std::size_t>(b)]);
    return ka < kb;
  });
  return g;
}

// ----- Task resources: what they call, the IAM permissions, how they are undone

struct TaskInfo {
  std::string kind;  // "action", "aws-sdk", "integration", "http", "unknown"
  const actions::Action* action = nullptr;
  std::string what;  // one sentence
  std::vector<std::string> permissions;
  std::string undo;
};

std::string capitalize(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string iamPrefix(const std::string& sdk_service) {
  static const std::map<std::string, std::string> kPrefix = {
      {"sfn", "states"},
      {"cloudwatchlogs", "logs"},
      {"elasticloadbalancingv2", "elasticloadbalancing"},
      {"cloudwatch", "cloudwatch"},
      {"eventbridge", "events"},
      {"accessanalyzer", "access-analyzer"},
      {"inspector2", "inspector2"}};
  auto it = kPrefix.find(sdk_service);
  return it == kPrefix.end() ? sdk_service : it->second;
}

// How an action is undone, in one sentence, from its descriptor: the undo release runs, or why
// there is none (an undo is itself never undone).
std::string undoText(const actions::Descriptor& d, const actions::Registry& registry) {
  if (!d.undo.empty()) return "release runs riposte:" + d.undo + ", which " + d.undo_note;
  if (auto of = registry.undoOf(d.name); !of.empty())
    return "it is the undo of riposte:" + of + "; release never undoes it.";
  return d.undo_note;
}

TaskInfo taskInfo(const std::string& resource_in, const actions::Registry& registry) {
  TaskInfo t;
  std::string resource = resource_in;
  for (const char* suffix : {".waitForTaskToken", ".sync:2", ".sync"}) {
    if (endsWith(resource, suffix)) resource = resource.substr(0, resource.size() - strlen(suffix));
  }
  // Every registered resource (built-ins and the aws-sdk / sns:publish integrations) is
  // described by its action's descriptor.
  if (const actions::Action* a = registry.find(resource)) {
    const actions::Descriptor& d = a->descriptor();
    t.kind = startsWith(resource, "riposte:") ? "action" : "integration";
    t.action = a;
    t.what = d.description;
    t.permissions = d.permissionNames();
    t.undo = undoText(d, registry);
    return t;
  }
  if (startsWith(resource, "riposte:")) {
    t.kind = "unknown";
    t.what = "Runs " + resource + ", which is not a registered action.";
    t.undo = "not undone: riposte does not know this action.";
    return t;
  }
  // Resources riposte cannot run (a playbook that uses one does not validate): described from
  // their Step Functions name, for a runbook of a configuration that is being written.
  constexpr std::string_view kSdk = "arn:aws:states:::aws-sdk:";
  constexpr std::string_view kStates = "arn:aws:states:::";
  if (startsWith(resource, kSdk)) {
    std::string rest = resource.substr(kSdk.size());
    auto colon = rest.find(':');
    std::string svc = rest.substr(0, colon);
    std::string api = colon == std::string::npos ? "" : capitalize(rest.substr(colon + 1));
    t.kind = "aws-sdk";
    t.what = "Calls the AWS API " + svc + " " + api + " directly (an AWS SDK integration).";
    t.permissions = {iamPrefix(svc) + ":" + api};
    t.undo =
        "not undone by riposte: a direct AWS call records no state to restore; undo it by "
        "hand if it changed anything.";
    return t;
  }
  if (resource == "arn:aws:states:::http:invoke") {
    t.kind = "http";
    t.what = "Calls an HTTP endpoint (a webhook); needs no AWS permission.";
    t.undo = "nothing to undo on the AWS side.";
    return t;
  }
  if (startsWith(resource, kStates)) {
    std::string rest = resource.substr(kStates.size());
    auto colon = rest.find(':');
    std::string svc = rest.substr(0, colon);
    std::string api = colon == std::string::npos ? "" : rest.substr(colon + 1);
    t.kind = "integration";
    if (svc == "lambda" && api == "invoke") {
      t.what = "Invokes a Lambda function.";
      t.permissions = {"lambda:InvokeFunction"};
    } else {
      t.what = "Calls " + svc + " " + capitalize(api) + " (an optimized integration).";
      t.permissions = {iamPrefix(svc) + ":" + capitalize(api)};
    }
    t.undo = "not undone by riposte (undo it by hand if it changed anything).";
    return t;
  }
  t.kind = "unknown";
  t.what = "Runs " + resource + ".";
  t.undo = "not undone: riposte does not know this resource.";
  return t;
}

// Every Task resource of a definition (nested Parallel branches and Map processors too).
void taskResources(const json::value& definition, std::vector<std::string>& out) {
  const auto* def = definition.if_object();
  if (!def) return;
  const auto* states = asObject(member(*def, "States"));
  if (!states) return;
  for (const auto& kv : *states) {
    const auto* s = kv.value().if_object();
    if (!s) continue;
    std::string type = stringMember(*s, "Type");
    if (type == "Task") out.push_back(stringMember(*s, "Resource"));
    if (const auto* b = member(*s, "Branches"); b && b->is_array()) {
      for (const auto& br : b->get_array()) taskResources(br, out);
    }
    for (const char* key : {"ItemProcessor", "Iterator"}) {
      if (const auto* p = member(*s, key)) taskResources(*p, out);
    }
  }
}

// Tasks (state name, resource) of a definition, nested ones too, in definition order.
void tasksOf(const json::value& definition,
             std::vector<std::pair<std::string, const json::object*>>& out) {
  const auto* def = definition.if_object();
  if (!def) return;
  const auto* states = asObject(member(*def, "States"));
  if (!states) return;
  for (const auto& kv : *states) {
    const auto* s = kv.value().if_object();
    if (!s) continue;
    if (stringMember(*s, "Type") == "Task") out.emplace_back(std::string(kv.key()), s);
    if (const auto* b = member(*s, "Branches"); b && b->is_array()) {
      for (const auto& br : b->get_array()) tasksOf(br, out);
    }
    for (const char* key : {"ItemProcessor", "Iterator"}) {
      if (const auto* p = member(*s, key)) tasksOf(*p, out);
    }
  }
}

// ----- a playbook step in words

std::string pathNote(const std::string& path) {
  static const std::vector<std::pair<std::string, std::string>> kExact = {
      {"$.riposte.incidentId", "the incident id"},
      {"$.riposte.notify.snsTopicArn", "notifications.sns_topic_arn in riposte.yaml"},
      {"$.riposte.remoteIp", "the attacker's IP address riposte found in the finding"},
      {"$.riposte.dryRun", "whether this execution is a dry run"},
      {"$.riposte.rule", "the name of the rule that fired"},
      {"$.riposte.eventId", "the id of the event"},
      {"$.detail", "the finding"},
      {"$", "the whole input"},
      {"$.results", "the results of the earlier steps"}};
  for (const auto& [p, note] : kExact)
    if (path == p) return note;
  if (startsWith(path, "$.detail.")) return "from the finding";
  if (startsWith(path, "$.results.")) return "the result of an earlier step";
  if (startsWith(path, "$$.")) return "from the execution context";
  return "";
}

Line parametersLine(const json::value& params) {
  Line l;
  const auto* o = params.if_object();
  if (!o) {
    l << code(toJson(params));
    return l;
  }
  bool first = true;
  for (const auto& kv : *o) {
    if (!first) l << text("; ");
    first = false;
    std::string key(kv.key());
    if (endsWith(key, ".$") && kv.value().is_string()) {
      std::string path(kv.value().get_string());
      l << code(key.substr(0, key.size() - 2)) << text(" ← ") << code(path);
      if (auto note = pathNote(path); !note.empty()) l << text(" (" + note + ")");
    } else {
      l << code(key) << text(" = ") << code(toJson(kv.value()));
    }
  }
  if (first) l << text("none");
  return l;
}

std::string secondsText(double s) {
  json::value v(s);
  if (s == static_cast<double>(static_cast<int64_t>(s))) v = static_cast<int64_t>(s);
  return numberText(v) + " s";
}

std::string retrierWords(const json::object& r) {
  std::string errs = errorsText(member(r, "ErrorEquals"));
  double interval = 1, backoff = 2;
  int64_t attempts = 3;
  if (auto v =
          asNumber(member(r, "IntervalSeconds") ? *member(r, "IntervalSeconds") : json::value()))
    interval = *v;
  if (auto v = asNumber(member(r, "BackoffRate") ? *member(r, "BackoffRate") : json::value()))
    backoff = *v;
  if (auto v = asNumber(member(r, "MaxAttempts") ? *member(r, "MaxAttempts") : json::value()))
    attempts = static_cast<int64_t>(*v);
  std::string out = "on " + errs + ": ";
  if (attempts <= 0) return out + "not retried";
  out += "retried up to " + std::to_string(attempts) + (attempts == 1 ? " time" : " times") +
         ", first after " + secondsText(interval);
  if (backoff != 1) {
    json::value b(backoff);
    if (backoff == static_cast<double>(static_cast<int64_t>(backoff)))
      b = static_cast<int64_t>(backoff);
    out += ", each wait ×" + numberText(b) + " the previous";
  }
  if (const auto* m = member(r, "MaxDelaySeconds"); m && asNumber(*m))
    out += ", at most " + secondsText(*asNumber(*m)) + " apart";
  if (stringMember(r, "JitterStrategy") == "FULL") out += ", with full jitter";
  return out;
}

std::string resultPathWords(const json::object& s, const char* what) {
  const auto* rp = member(s, "ResultPath");
  if (!rp) return "";
  if (rp->is_null()) return std::string("discards ") + what + " (keeps its input)";
  if (rp->is_string()) {
    std::string p(rp->get_string());
    if (p == "$") return "";
    return std::string("stores ") + what + " at " + p;
  }
  return "";
}

void stateItems(const json::object& s, const std::string& name, const actions::Registry& registry,
                Item& item);

// The states of a (nested) state list as list items, in execution order.
std::vector<Item> stateListItems(const json::value& definition, const actions::Registry& registry) {
  std::vector<Item> items;
  Graph g = buildGraph(definition);
  for (int i : g.order) {
    Item it;
    stateItems(*g.states[static_cast<std::size_t>(i)], g.names[static_cast<std::size_t>(i)],
               registry, it);
    items.push_back(std::move(it));
  }
  return items;
}

void stateItems(const json::object& s, const std::string& name, const actions::Registry& registry,
                Item& item) {
  const std::string type = stringMember(s, "Type");
  item.line << strong(name) << text(" (" + type + ")");
  std::string comment = stringMember(s, "Comment");
  if (!comment.empty()) item.line << text(": " + comment);
  auto kid = [&](Line l) { item.kids.push_back(Item{std::move(l), {}}); };

  if (type == "Task") {
    std::string resource = stringMember(s, "Resource");
    TaskInfo t = taskInfo(resource, registry);
    kid(Line{text("Runs "), code(resource), text(": " + t.what)});
    for (const char* key : {"Parameters", "Arguments"}) {
      if (const auto* p = member(s, key)) kid(Line{text("Input: ")} << parametersLine(*p));
    }
    if (!t.permissions.empty()) {
      kid(Line{text("AWS calls (IAM permissions): ")} << codeList(t.permissions));
    } else {
      kid(line("AWS calls: none"));
    }
    kid(Line{text("Undo: " + t.undo)});
    if (const auto* ts = member(s, "TimeoutSeconds"); ts && asNumber(*ts))
      kid(line("Times out after " + secondsText(*asNumber(*ts)) + " (States.Timeout)."));
  } else if (type == "Pass") {
    if (const auto* r = member(s, "Result")) {
      const auto* rp = member(s, "ResultPath");
      std::string at = rp && rp->is_string() ? std::string(rp->get_string()) : "$";
      kid(Line{text("Sets "), code(at), text(" to "), code(toJson(*r)), text(".")});
    } else if (const auto* p = member(s, "Parameters")) {
      kid(Line{text("Reshapes its input: ")} << parametersLine(*p));
    } else {
      kid(line("Passes its input on unchanged."));
    }
  } else if (type == "Choice") {
    if (const auto* cs = member(s, "Choices"); cs && cs->is_array()) {
      for (const auto& c : cs->get_array()) {
        const auto* co = c.if_object();
        if (!co) continue;
        kid(Line{text("If " + choiceWords(c, false) + " → "), strong(stringMember(*co, "Next"))});
      }
    }
    if (const auto* d = member(s, "Default"); d && d->is_string()) {
      kid(Line{text("Otherwise (Default) → "), strong(std::string(d->get_string()))});
    } else {
      kid(line("Otherwise the execution fails with States.NoChoiceMatched."));
    }
  } else if (type == "Wait") {
    if (const auto* v = member(s, "Seconds"); v && asNumber(*v)) {
      kid(line("Waits " + secondsText(*asNumber(*v)) + "."));
    } else if (const auto* v = member(s, "Timestamp")) {
      kid(Line{text("Waits until "), code(valueText(*v)), text(".")});
    } else if (const auto* v = member(s, "SecondsPath")) {
      kid(Line{text("Waits the number of seconds at "), code(valueText(*v)), text(".")});
    } else if (const auto* v = member(s, "TimestampPath")) {
      kid(Line{text("Waits until the time at "), code(valueText(*v)), text(".")});
    }
  } else if (type == "Succeed") {
    kid(line("Ends the execution successfully."));
  } else if (type == "Fail") {
    Line l{text("Ends the execution as failed")};
    if (auto e = stringMember(s, "Error"); !e.empty()) l << text(" with error ") << code(e);
    std::string cause = stringMember(s, "Cause");
    if (!cause.empty()) l << text(": " + cause);
    if (cause.empty() || (cause.back() != '.' && cause.back() != '!' && cause.back() != '?'))
      l << text(".");
    kid(std::move(l));
  } else if (type == "Parallel") {
    const auto* b = member(s, "Branches");
    std::size_t n = b && b->is_array() ? b->get_array().size() : 0;
    kid(line("Runs " + std::to_string(n) +
             " branches at the same time and continues when all "
             "have finished (a failed branch fails the state):"));
    for (std::size_t i = 0; i < n; ++i) {
      Item br{line("Branch " + std::to_string(i + 1) + ":"),
              stateListItems(b->get_array()[i], registry)};
      item.kids.push_back(std::move(br));
    }
  } else if (type == "Map") {
    std::string items = stringMember(s, "ItemsPath", "$");
    Line l{text("For each item of "), code(items)};
    if (const auto* mc = member(s, "MaxConcurrency"); mc && asNumber(*mc) && *asNumber(*mc) > 0)
      l << text(" (at most " + numberText(*mc) + " at a time)");
    l << text(", runs:");
    const json::value* proc = member(s, "ItemProcessor");
    if (!proc) proc = member(s, "Iterator");
    Item m{std::move(l), proc ? stateListItems(*proc, registry) : std::vector<Item>{}};
    item.kids.push_back(std::move(m));
  }

  if (type != "Pass") {
    if (auto w = resultPathWords(s, "its result"); !w.empty()) kid(line(capitalize(w) + "."));
  }
  if (const auto* op = member(s, "OutputPath"); op && op->is_string() && op->get_string() != "$")
    kid(Line{text("Its output is "), code(std::string(op->get_string())), text(".")});
  if (const auto* rs = member(s, "Retry"); rs && rs->is_array()) {
    for (const auto& r : rs->get_array())
      if (r.is_object()) kid(line("Retry: " + retrierWords(r.get_object()) + "."));
  }
  if (const auto* cs = member(s, "Catch"); cs && cs->is_array()) {
    for (const auto& c : cs->get_array()) {
      const auto* co = c.if_object();
      if (!co) continue;
      std::string errs = errorsText(member(*co, "ErrorEquals"));
      std::string what = errs == "States.ALL" ? "any error (States.ALL)" : errs;
      std::string rp = resultPathWords(*co, "the error");
      Line l{text("On " + what + ": ")};
      if (!rp.empty()) l << text(rp + " and ");
      l << text("continues at ") << strong(stringMember(*co, "Next")) << text(".");
      kid(std::move(l));
    }
  }
  if (type != "Choice" && type != "Succeed" && type != "Fail") {
    if (const auto* n = member(s, "Next"); n && n->is_string()) {
      kid(Line{text("Then → "), strong(std::string(n->get_string()))});
    } else if (const auto* e = member(s, "End"); e && e->is_bool() && e->get_bool()) {
      kid(line("Then the execution ends successfully."));
    }
  }
}

// ----- diagrams

std::string mermaidText(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "#quot;";
        break;
      case '<':
        out += "#lt;";
        break;
      case '>':
        out += "#gt;";
        break;
      case '#':
        out += "#35;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string stateSubtitle(const json::object& s) {
  std::string type = stringMember(s, "Type");
  if (type == "Task") {
    std::string r = stringMember(s, "Resource");
    if (startsWith(r, "riposte:")) r = r.substr(8);
    constexpr std::string_view kStates = "arn:aws:states:::";
    if (startsWith(r, kStates)) r = r.substr(kStates.size());
    return "Task: " + truncateText(r, 40);
  }
  if (type == "Fail") {
    std::string e = stringMember(s, "Error");
    return e.empty() ? "Fail" : "Fail: " + truncateText(e, 40);
  }
  return type;
}

void mermaidList(const json::value& definition, const std::string& prefix,
                 const std::string& indent, std::ostringstream& os) {
  Graph g = buildGraph(definition);
  std::vector<std::string> ids(g.states.size());
  for (std::size_t k = 0; k < g.order.size(); ++k)
    ids[static_cast<std::size_t>(g.order[k])] = prefix + std::to_string(k);
  for (int i : g.order) {
    const auto& s = *g.states[static_cast<std::size_t>(i)];
    const std::string& id = ids[static_cast<std::size_t>(i)];
    std::string type = stringMember(s, "Type");
    std::string label =
        mermaidText(g.names[static_cast<std::size_t>(i)]) + "<br/>" + mermaidText(stateSubtitle(s));
    if (type == "Choice") {
      os << indent << id << "{\"" << label << "\"}\n";
    } else if (type == "Succeed" || type == "Fail") {
      os << indent << id << "([\"" << label << "\"])\n";
    } else {
      os << indent << id << "[\"" << label << "\"]\n";
    }
    // Nested state lists: one subgraph per Parallel branch / Map processor.
    std::vector<const json::value*> subs;
    if (const auto* b = member(s, "Branches"); b && b->is_array()) {
      for (const auto& br : b->get_array()) subs.push_back(&br);
    }
    for (const char* key : {"ItemProcessor", "Iterator"})
      if (const auto* p = member(s, key)) subs.push_back(p);
    for (std::size_t k = 0; k < subs.size(); ++k) {
      std::string sub = id + "_" + std::to_string(k);
      std::string title = type == "Map" ? "each item" : "branch " + std::to_string(k + 1);
      os << indent << "subgraph " << sub << "[\""
         << mermaidText(g.names[static_cast<std::size_t>(i)]) << ": " << title << "\"]\n";
      mermaidList(*subs[k], sub + "_", indent + "  ", os);
      os << indent << "end\n";
      os << indent << id << " -.- " << sub << "\n";
    }
  }
  for (const auto& e : g.edges) {
    os << indent << ids[static_cast<std::size_t>(e.from)] << " -->";
    if (!e.label.empty()) os << "|\"" << mermaidText(truncateText(e.label, 48)) << "\"|";
    os << " " << ids[static_cast<std::size_t>(e.to)] << "\n";
  }
}

// ----- SVG: a simple layered layout (Sugiyama-style: longest-path layers, virtual nodes on
// long edges, barycentric ordering, centred rows).

struct SvgNode {
  int state = -1;                     // -1: a virtual node of a long edge
  double w = 0, h = 0, x = 0, y = 0;  // x, y: centre
  double order = 0;
};

std::string fmtNum(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (endsWith(s, ".0")) s.resize(s.size() - 2);
  return s;
}

std::string svgFill(const std::string& type) {
  if (type == "Task") return "#e8f0fe";
  if (type == "Choice") return "#fff4d6";
  if (type == "Fail") return "#fde2e2";
  if (type == "Succeed") return "#e3f5e1";
  if (type == "Wait") return "#efe6fb";
  if (type == "Parallel" || type == "Map") return "#e0f4f4";
  return "#f3f3f3";
}

}  // namespace

// ===================================================================== public: pieces

std::string describePattern(const json::value& pattern) {
  const auto* o = pattern.if_object();
  if (!o) return "Events matching " + toJson(pattern) + ".";
  PNode root = parsePattern(*o, "");
  std::string subject = patternSubject(root);
  if (root.kids.empty()) return "All " + subject + ".";
  return subject + " where " + nodeWords(root, true, true) + ".";
}

std::vector<std::string> describePatternConditions(const json::value& pattern) {
  std::vector<std::string> out;
  const auto* o = pattern.if_object();
  if (!o) return out;
  nodeLines(parsePattern(*o, ""), "", out);
  return out;
}

std::string describeChoiceRule(const json::value& rule) {
  return choiceWords(rule, false);
}

std::vector<std::string> executionOrder(const json::value& definition) {
  Graph g = buildGraph(definition);
  std::vector<std::string> out;
  for (int i : g.order) out.push_back(g.names[static_cast<std::size_t>(i)]);
  return out;
}

std::string mermaidDiagram(const json::value& definition) {
  std::ostringstream os;
  os << "flowchart TD\n";
  mermaidList(definition, "n", "  ", os);
  return os.str();
}

std::string svgDiagram(const json::value& definition) {
  Graph g = buildGraph(definition);
  constexpr double kCharW = 7.0, kBoxH = 42, kLayerGap = 64, kGap = 28, kMargin = 20,
                   kVirtualW = 16;
  // Layers of real and virtual nodes; each forward edge becomes a chain through its layers.
  std::vector<SvgNode> nodes;
  std::vector<std::vector<int>> rows(static_cast<std::size_t>(std::max(g.layers, 1)));
  std::vector<int> node_of(g.states.size());
  for (int i : g.order) {
    SvgNode n;
    n.state = i;
    const auto& s = *g.states[static_cast<std::size_t>(i)];
    std::size_t chars =
        std::max(utf8Length(g.names[static_cast<std::size_t>(i)]), utf8Length(stateSubtitle(s)));
    n.w = std::max(110.0, 20 + kCharW * static_cast<double>(chars));
    n.h = kBoxH;
    node_of[static_cast<std::size_t>(i)] = static_cast<int>(nodes.size());
    rows[static_cast<std::size_t>(g.layer[static_cast<std::size_t>(i)])].push_back(
        static_cast<int>(nodes.size()));
    nodes.push_back(n);
  }
  // Chains: per edge, the node ids it passes (source, virtuals…, target).
  std::vector<std::vector<int>> chains(g.edges.size());
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    const auto& ed = g.edges[e];
    int a = node_of[static_cast<std::size_t>(ed.from)],
        b = node_of[static_cast<std::size_t>(ed.to)];
    chains[e].push_back(a);
    if (!g.back[e]) {
      int la = g.layer[static_cast<std::size_t>(ed.from)],
          lb = g.layer[static_cast<std::size_t>(ed.to)];
      for (int l = la + 1; l < lb; ++l) {
        SvgNode v;
        v.w = kVirtualW;
        v.h = kBoxH;
        chains[e].push_back(static_cast<int>(nodes.size()));
        rows[static_cast<std::size_t>(l)].push_back(static_cast<int>(nodes.size()));
        nodes.push_back(v);
      }
    }
    chains[e].push_back(b);
  }
  // Neighbours between adjacent layers, for the barycentric ordering.
  std::vector<std::vector<int>> up(nodes.size()), down(nodes.size());
  for (std::size_t e = 0; e < chains.size(); ++e) {
    if (g.back[e]) continue;
    for (std::size_t k = 0; k + 1 < chains[e].size(); ++k) {
      down[static_cast<std::size_t>(chains[e][k])].push_back(chains[e][k + 1]);
      up[static_cast<std::size_t>(chains[e][k + 1])].push_back(chains[e][k]);
    }
  }
  for (auto& row : rows)
    for (std::size_t k = 0; k < row.size(); ++k)
      nodes[static_cast<std::size_t>(row[k])].order = static_cast<double>(k);
  auto sweep = [&](std::size_t l, const std::vector<std::vector<int>>& nb) {
    auto& row = rows[l];
    std::vector<std::pair<double, int>> keyed;
    for (int id : row) {
      const auto& ns = nb[static_cast<std::size_t>(id)];
      double key = nodes[static_cast<std::size_t>(id)].order;
      if (!ns.empty()) {
        double sum = 0;
        for (int m : ns) sum += nodes[static_cast<std::size_t>(m)].order;
        key = sum / static_cast<double>(ns.size());
      }
      keyed.emplace_back(key, id);
    }
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t k = 0; k < keyed.size(); ++k) {
      row[k] = keyed[k].second;
      nodes[static_cast<std::size_t>(row[k])].order = static_cast<double>(k);
    }
  };
  for (int pass = 0; pass < 4; ++pass) {
    for (std::size_t l = 1; l < rows.size(); ++l) sweep(l, up);
    for (std::size_t l = rows.size(); l-- > 1;) sweep(l - 1, down);
  }
  // Coordinates: rows centred on the widest one.
  double width = 0;
  std::vector<double> row_w(rows.size(), 0);
  for (std::size_t l = 0; l < rows.size(); ++l) {
    for (std::size_t k = 0; k < rows[l].size(); ++k)
      row_w[l] += nodes[static_cast<std::size_t>(rows[l][k])].w + (k ? kGap : 0);
    width = std::max(width, row_w[l]);
  }
  bool has_back = false;
  for (bool b : g.back) has_back = has_back || b;
  for (std::size_t l = 0; l < rows.size(); ++l) {
    double x = kMargin + (width - row_w[l]) / 2;
    for (int id : rows[l]) {
      auto& n = nodes[static_cast<std::size_t>(id)];
      n.x = x + n.w / 2;
      n.y = kMargin + 12 + static_cast<double>(l) * (kBoxH + kLayerGap) + kBoxH / 2;
      x += n.w + kGap;
    }
  }
  double right = kMargin + width;
  double total_w =
      right + kMargin + (has_back ? 24 + 10.0 * static_cast<double>(g.edges.size()) : 0);
  double total_h =
      kMargin * 2 + 12 + static_cast<double>(rows.size()) * (kBoxH + kLayerGap) - kLayerGap;

  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << fmtNum(total_w) << "\" height=\""
     << fmtNum(total_h) << "\" viewBox=\"0 0 " << fmtNum(total_w) << " " << fmtNum(total_h)
     << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" role=\"img\">\n";
  os << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
        "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" "
        "fill=\"#555\"/></marker></defs>\n";
  // Start marker above the start state.
  if (g.start >= 0) {
    const auto& s = nodes[static_cast<std::size_t>(node_of[static_cast<std::size_t>(g.start)])];
    double top = s.y - s.h / 2;
    os << "<circle cx=\"" << fmtNum(s.x) << "\" cy=\"" << fmtNum(top - 22)
       << "\" r=\"5\" fill=\"#555\"/>\n";
    os << "<line x1=\"" << fmtNum(s.x) << "\" y1=\"" << fmtNum(top - 17) << "\" x2=\""
       << fmtNum(s.x) << "\" y2=\"" << fmtNum(top)
       << "\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>\n";
  }
  // Edges first (boxes are drawn over them); parallel edges between the same pair are offset.
  std::map<std::pair<int, int>, int> pair_count, pair_seen;
  std::map<int, int> label_count, label_seen;
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    ++pair_count[{g.edges[e].from, g.edges[e].to}];
    if (!g.edges[e].label.empty() && !g.back[e]) ++label_count[g.edges[e].from];
  }
  std::vector<std::string> labels;
  int back_lane = 0;
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    const auto& ed = g.edges[e];
    int n_same = pair_count[{ed.from, ed.to}];
    int k = pair_seen[{ed.from, ed.to}]++;
    double off = (static_cast<double>(k) - (n_same - 1) / 2.0) * 16;
    std::vector<std::pair<double, double>> pts;
    const auto& a = nodes[static_cast<std::size_t>(chains[e].front())];
    const auto& b = nodes[static_cast<std::size_t>(chains[e].back())];
    if (!g.back[e]) {
      pts.emplace_back(a.x + off, a.y + a.h / 2);
      for (std::size_t m = 1; m + 1 < chains[e].size(); ++m) {
        const auto& v = nodes[static_cast<std::size_t>(chains[e][m])];
        pts.emplace_back(v.x + off, v.y - v.h / 2);
        pts.emplace_back(v.x + off, v.y + v.h / 2);
      }
      pts.emplace_back(b.x + off, b.y - b.h / 2);
    } else {
      // Back edges go round the right-hand side.
      double lane = right + 12 + 10.0 * back_lane++;
      pts.emplace_back(a.x + a.w / 2, a.y + off / 4);
      pts.emplace_back(lane, a.y + off / 4);
      pts.emplace_back(lane, b.y + off / 4);
      pts.emplace_back(b.x + b.w / 2, b.y + off / 4);
    }
    std::string dash = ed.kind == GEdge::Catch ? " stroke-dasharray=\"5 3\"" : "";
    std::string color = ed.kind == GEdge::Catch ? "#b3261e" : "#555";
    os << "<polyline fill=\"none\" stroke=\"" << color << "\"" << dash
       << " marker-end=\"url(#arrow)\" points=\"";
    for (std::size_t m = 0; m < pts.size(); ++m)
      os << (m ? " " : "") << fmtNum(pts[m].first) << "," << fmtNum(pts[m].second);
    os << "\"><title>"
       << htmlEscape(g.names[static_cast<std::size_t>(ed.from)] + " → " +
                     g.names[static_cast<std::size_t>(ed.to)] +
                     (ed.label.empty() ? "" : ": " + ed.label))
       << "</title></polyline>\n";
    if (!ed.label.empty()) {
      // The label sits on the first segment; the labels of one state's edges are staggered
      // down it so that they do not overlap.
      std::string lt = truncateText(ed.label, 32);
      double f = static_cast<double>(label_seen[ed.from]++ + 1) / (label_count[ed.from] + 1);
      double lx = pts[0].first + (pts[1].first - pts[0].first) * f;
      double ly = pts[0].second + (pts[1].second - pts[0].second) * f + 4;
      if (g.back[e]) {
        lx = pts[1].first;
        ly = (pts[1].second + pts[2].second) / 2;
      }
      double lw = 6.2 * static_cast<double>(utf8Length(lt)) + 6;
      std::ostringstream l;
      l << "<rect x=\"" << fmtNum(lx - lw / 2) << "\" y=\"" << fmtNum(ly - 11) << "\" width=\""
        << fmtNum(lw) << "\" height=\"15\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\"/>"
        << "<text x=\"" << fmtNum(lx) << "\" y=\"" << fmtNum(ly) << "\" text-anchor=\"middle\" "
        << "font-size=\"11\" fill=\"" << color << "\">" << htmlEscape(lt) << "</text>\n";
      labels.push_back(l.str());
    }
  }
  // Boxes.
  for (const auto& n : nodes) {
    if (n.state < 0) continue;
    const auto& s = *g.states[static_cast<std::size_t>(n.state)];
    std::string type = stringMember(s, "Type");
    double x0 = n.x - n.w / 2, y0 = n.y - n.h / 2;
    double rx = (type == "Succeed" || type == "Fail") ? n.h / 2 : (type == "Choice" ? 14 : 4);
    os << "<g><title>" << htmlEscape(g.names[static_cast<std::size_t>(n.state)]) << " ("
       << htmlEscape(type) << ")</title><rect x=\"" << fmtNum(x0) << "\" y=\"" << fmtNum(y0)
       << "\" width=\"" << fmtNum(n.w) << "\" height=\"" << fmtNum(n.h) << "\" rx=\"" << fmtNum(rx)
       << "\" fill=\"" << svgFill(type) << "\" stroke=\"#444\"/>"
       << "<text x=\"" << fmtNum(n.x) << "\" y=\"" << fmtNum(n.y - 3)
       << "\" text-anchor=\"middle\" font-weight=\"bold\">"
       << htmlEscape(g.names[static_cast<std::size_t>(n.state)]) << "</text><text x=\""
       << fmtNum(n.x) << "\" y=\"" << fmtNum(n.y + 13) << "\" text-anchor=\"middle\" fill=\"#444\">"
       << htmlEscape(stateSubtitle(s)) << "</text></g>\n";
  }
  for (const auto& l : labels) os << l;
  os << "</svg>\n";
  return os.str();
}

std::vector<std::string> requiredPermissions(const Config& cfg, const actions::Registry& registry,
                                             std::vector<std::string>* undo) {
  std::set<std::string> need, undo_need;
  for (const auto& [name, pb] : cfg.playbooks) {
    std::vector<std::string> resources;
    taskResources(pb.definition, resources);
    for (const auto& r : resources) {
      TaskInfo t = taskInfo(r, registry);
      need.insert(t.permissions.begin(), t.permissions.end());
      if (t.action && !t.action->descriptor().undo.empty()) {
        if (const auto* u = registry.find(t.action->descriptor().undo)) {
          auto p = u->descriptor().permissionNames();
          undo_need.insert(p.begin(), p.end());
        }
      }
    }
  }
  if (undo) {
    undo->clear();
    for (const auto& p : undo_need)
      if (!need.count(p)) undo->push_back(p);
  }
  return {need.begin(), need.end()};
}

Result<std::string> configVersion(const Config& cfg) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return fail("Internal", "cannot allocate a SHA-256 context");
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  auto feed = [&](const std::string& s) {
    std::string len = std::to_string(s.size()) + ":";
    EVP_DigestUpdate(ctx, len.data(), len.size());
    EVP_DigestUpdate(ctx, s.data(), s.size());
  };
  std::error_code ec;
  if (!cfg.dir.empty() && fs::is_directory(cfg.dir, ec)) {
    fs::path root(cfg.dir);
    std::vector<std::string> files;
    if (fs::is_regular_file(root / "riposte.yaml", ec)) files.push_back("riposte.yaml");
    for (const char* sub : {"rules", "playbooks", "policies"}) {
      if (!fs::is_directory(root / sub, ec)) continue;
      for (const auto& e : fs::recursive_directory_iterator(root / sub, ec)) {
        if (!e.is_regular_file()) continue;
        std::string ext = e.path().extension().string();
        if (ext != ".yaml" && ext != ".yml" && ext != ".json") continue;
        files.push_back(fs::relative(e.path(), root, ec).generic_string());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto text = readTextFile(root / f);
      if (!text) {
        EVP_MD_CTX_free(ctx);
        return fail("NotFound", "cannot read " + (root / f).string());
      }
      feed(f);
      feed(*text);
    }
  } else {
    feed(toJson(json::value(cfg.settings)));
    for (const auto& r : cfg.rules) {
      feed(r.name);
      feed(r.description);
      feed(r.pattern_json);
      feed(r.playbook);
      feed(r.enabled ? "1" : "0");
    }
    for (const auto& [name, pb] : cfg.playbooks) {
      feed(name);
      feed(pb.definition_json);
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

// ===================================================================== the runbook

namespace {

bool validDate(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (!std::isdigit(static_cast<unsigned char>(d[i]))) return false;
  int m = std::stoi(d.substr(5, 2)), day = std::stoi(d.substr(8, 2));
  return m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

std::string plusMonths(const std::string& date, int months) {
  int y = std::stoi(date.substr(0, 4)), m = std::stoi(date.substr(5, 2)),
      d = std::stoi(date.substr(8, 2));
  m += months;
  while (m > 12) {
    m -= 12;
    ++y;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max_d = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  d = std::min(d, max_d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

// A riposte.yaml value as written: "${VAR:-default}" → `default` (environment variable VAR
// overrides it).
Line settingLine(const json::value& v) {
  Line l;
  if (!v.is_string()) {
    l << code(valueText(v));
    return l;
  }
  std::string s(v.get_string());
  if (startsWith(s, "${") && endsWith(s, "}") && s.find("${", 2) == std::string::npos &&
      s.find('}') == s.size() - 1) {
    std::string inner = s.substr(2, s.size() - 3);
    auto dash = inner.find(":-");
    if (dash != std::string::npos) {
      l << code(inner.substr(dash + 2)) << text(" (environment variable ")
        << code(inner.substr(0, dash)) << text(" overrides it)");
    } else {
      l << text("the value of the environment variable ") << code(inner) << text(", no default");
    }
    return l;
  }
  l << code(s);
  if (s.find("${") != std::string::npos) l << text(" (with environment variables expanded)");
  return l;
}

// A setting that is on/off, as written ("${RIPOSTE_DRY_RUN:-false}" → false).
std::string settingDefault(const json::value* v) {
  if (!v) return "";
  if (v->is_bool()) return v->get_bool() ? "true" : "false";
  if (!v->is_string()) return valueText(*v);
  std::string s(v->get_string());
  if (startsWith(s, "${") && endsWith(s, "}")) {
    auto dash = s.find(":-");
    return dash == std::string::npos ? "" : s.substr(dash + 2, s.size() - dash - 3);
  }
  return s;
}

// Every key of an object as list items ("key: value as written"), nested objects as sublists.
std::vector<Item> settingItems(const json::value& v) {
  std::vector<Item> out;
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      Item it;
      it.line << code(std::string(kv.key()));
      if (kv.value().is_object() || kv.value().is_array()) {
        it.line << text(":");
        it.kids = settingItems(kv.value());
      } else {
        it.line << text(": ") << settingLine(kv.value());
      }
      out.push_back(std::move(it));
    }
  } else if (const auto* a = v.if_array()) {
    std::size_t n = 0;
    for (const auto& e : *a) {
      Item it;
      it.line << text("#" + std::to_string(++n));
      if (e.is_object() || e.is_array()) {
        it.kids = settingItems(e);
      } else {
        it.line << text(": ") << settingLine(e);
      }
      out.push_back(std::move(it));
    }
  }
  return out;
}

struct Context {
  const Config& cfg;
  const actions::Registry& registry;
  json::object raw;  // riposte.yaml as written
  std::string label;
};

// riposte.yaml `playbooks.<name>.dry_run`.
bool playbookDryRun(const Config& cfg, const std::string& name) {
  auto pb = cfg.playbooks.find(name);
  return pb != cfg.playbooks.end() && pb->second.dry_run;
}

// The role of a Task resource's action (descriptor), nullopt when the registry does not know it.
std::optional<actions::Role> roleOf(const std::string& resource,
                                    const actions::Registry& registry) {
  const actions::Action* a = registry.find(resource);
  if (!a) return std::nullopt;
  return a->descriptor().role;
}

// A step that alerts people: a notify action, or a webhook (http:invoke, which riposte does not
// run; described for a configuration being written).
bool isNotify(const std::string& resource, const actions::Registry& registry) {
  return roleOf(resource, registry) == actions::Role::kNotify ||
         startsWith(resource, "arn:aws:states:::http:invoke");
}

bool isSiem(const std::string& resource, const actions::Registry& registry) {
  return roleOf(resource, registry) == actions::Role::kSiem;
}

std::string paramText(const json::object& task, const char* key) {
  for (const char* pkey : {"Parameters", "Arguments"}) {
    const auto* p = asObject(member(task, pkey));
    if (!p) continue;
    if (const auto* v = member(*p, std::string(key) + ".$"); v && v->is_string())
      return std::string(v->get_string());
    if (const auto* v = member(*p, key)) return valueText(*v);
  }
  return "";
}

std::vector<Item> notificationItems(const Context& c, const Playbook* pb) {
  std::vector<Item> out;
  if (!pb) return out;
  std::vector<std::pair<std::string, const json::object*>> tasks;
  tasksOf(pb->definition, tasks);
  for (const auto& [name, t] : tasks) {
    std::string r = stringMember(*t, "Resource");
    if (!isNotify(r, c.registry)) continue;
    Item it;
    if (startsWith(r, "arn:aws:states:::http:invoke")) {
      it.line << text("Step ") << strong(name) << text(" calls the HTTP endpoint ");
      std::string url = paramText(*t, "ApiEndpoint");
      it.line << code(url.empty() ? "(from the input)" : url) << text(".");
    } else {
      std::string topic = paramText(*t, "topicArn");
      if (topic.empty()) topic = paramText(*t, "TopicArn");
      it.line << text("Step ") << strong(name) << text(" sends an alert to the SNS topic ");
      if (topic == "$.riposte.notify.snsTopicArn") {
        it.line << text("of ") << code("notifications.sns_topic_arn") << text(" in riposte.yaml: ");
        const auto* n = asObject(member(c.raw, "notifications"));
        const auto* v = n ? member(*n, "sns_topic_arn") : nullptr;
        if (v) {
          it.line << settingLine(*v);
        } else if (!c.cfg.sns_topic_arn.empty()) {
          it.line << code(c.cfg.sns_topic_arn);
        } else {
          it.line << text("not set");
        }
        it.line << text(".");
      } else {
        it.line << code(topic.empty() ? "(from the input)" : topic) << text(".");
      }
    }
    out.push_back(std::move(it));
  }
  return out;
}

std::vector<Item> siemItems(const Context& c, const Playbook* pb) {
  std::vector<Item> out;
  if (pb) {
    std::vector<std::pair<std::string, const json::object*>> tasks;
    tasksOf(pb->definition, tasks);
    for (const auto& [name, t] : tasks) {
      const std::string r = stringMember(*t, "Resource");
      if (!isSiem(r, c.registry)) continue;
      out.push_back(Item{Line{text("Step "), strong(name), text(" records the response with "),
                              code(r), text(" (see 6. Integration with SIEM).")},
                         {}});
    }
  }
  out.push_back(Item{line("The incident, every step of the execution and every action (with what "
                          "it found and what it changed) are recorded in riposte's audit log."),
                     {}});
  return out;
}

const json::value* sinksSetting(const json::object& raw) {
  for (const char* key : {"sinks", "siem"})
    if (const auto* v = member(raw, key)) return v;
  return nullptr;
}

void ruleSection(Doc& doc, const Context& c, const Rule& r) {
  doc.heading(3, r.name);
  if (!r.description.empty()) doc.para(line(r.description));
  {
    Line l{strong("Status"), text(": ")};
    l << text(r.enabled ? "enabled" : "disabled (never fires)");
    if (r.dry_run) {
      l << text("; dry run (plans and records, changes nothing)");
    } else if (playbookDryRun(c.cfg, r.playbook)) {
      l << text("; dry run: its playbook ") << code(r.playbook)
        << text(" always runs dry (plans and records, changes nothing)");
    }
    l << text("; defined in ") << code(r.file) << text(".");
    doc.para(std::move(l));
  }
  doc.para(Line{strong("Trigger"), text(": " + describePattern(r.pattern))});
  std::vector<Item> conds;
  for (const auto& s : describePatternConditions(r.pattern)) {
    std::size_t depth = 0;
    while (depth < s.size() && s[depth] == ' ') ++depth;
    Item it{line(s.substr(depth)), {}};
    // Indented lines belong to the last item one level up.
    std::vector<Item>* where = &conds;
    for (std::size_t d = 0; d < depth / 2 && !where->empty(); ++d) where = &where->back().kids;
    where->push_back(std::move(it));
  }
  if (!conds.empty()) {
    doc.para(line("It matches an event when all of these hold:"));
    doc.list(std::move(conds));
  }
  doc.para(line("The EventBridge pattern, verbatim:"));
  doc.codeBlock("json", toPrettyJson(r.pattern) + "\n");

  const Playbook* pb = nullptr;
  if (!r.playbook.empty()) {
    auto it = c.cfg.playbooks.find(r.playbook);
    if (it != c.cfg.playbooks.end()) pb = &it->second;
  }
  if (r.playbook.empty()) {
    doc.para(Line{strong("Automated response"),
                  text(": none. riposte records the incident (and its finding) for the security "
                       "team to review; no playbook runs and nothing is changed.")});
  } else if (!pb) {
    doc.para(Line{strong("Automated response"), text(": playbook "), code(r.playbook),
                  text(", which is not in the configuration.")});
  } else {
    Line l{strong("Automated response"), text(": the playbook "), code(pb->name)};
    const auto* def = pb->definition.if_object();
    if (auto cm = def ? stringMember(*def, "Comment") : ""; !cm.empty()) l << text(". " + cm);
    if (l.back().text.empty() || l.back().text.back() != '.') l << text(".");
    l << text(" Its steps, in execution order (see the diagram under Playbooks):");
    doc.para(std::move(l));
    doc.list(stateListItems(pb->definition, c.registry), true);
  }
  auto notes = notificationItems(c, pb);
  if (notes.empty()) {
    doc.para(Line{strong("Notification"), text(": none (no step of this response alerts anyone; "
                                               "the incident is visible in riposte's API).")});
  } else {
    doc.para(Line{strong("Notification"), text(":")});
    doc.list(std::move(notes));
  }
  doc.para(Line{strong("SIEM integration"), text(":")});
  doc.list(siemItems(c, pb));
}

}  // namespace

Result<std::string> renderRunbook(const Config& cfg, const actions::Registry& registry,
                                  RunbookFormat format, const RunbookMeta& meta) {
  if (!validDate(meta.date))
    return fail("InvalidArgument", "the runbook date must be YYYY-MM-DD, got '" + meta.date + "'");
  std::string version = meta.config_version;
  if (version.empty()) {
    auto v = configVersion(cfg);
    if (!v) return fail(v.error());
    version = *v;
  }
  Context c{cfg, registry, {}, meta.config_label.empty() ? cfg.dir : meta.config_label};
  {
    std::error_code ec;
    fs::path main = fs::path(cfg.dir) / "riposte.yaml";
    std::optional<std::string> text;
    if (!cfg.dir.empty() && fs::is_regular_file(main, ec)) text = readTextFile(main);
    auto raw =
        text ? yamlToJson(*text, "riposte.yaml") : Result<json::value>(json::value(cfg.settings));
    if (raw && raw->is_object())
      c.raw = raw->get_object();
    else
      c.raw = cfg.settings;
  }
  std::string command = meta.command;
  if (command.empty()) {
    command = "riposte docs --config " + c.label + " -o " +
              (format == RunbookFormat::Html ? std::string("runbook.html") : "docs/runbook.md") +
              (format == RunbookFormat::Html ? " --format html" : "") + " --date " + meta.date;
  }
  const std::string title = "Incident response runbook";
  Doc doc;
  doc.heading(1, title);
  doc.para(Line{text("Generated by "), code("riposte docs"), text(" from the configuration in "),
                code(c.label), text(" (version "), code(version), text(", " + meta.date + "). "),
                text("Do not edit it by hand: change the configuration and regenerate it with "),
                code(command), text(".")});

  // 1. Overview
  std::size_t enabled = 0;
  std::set<std::string> used_actions;
  for (const auto& r : cfg.rules) enabled += r.enabled ? 1 : 0;
  for (const auto& [name, pb] : cfg.playbooks) {
    std::vector<std::string> rs;
    taskResources(pb.definition, rs);
    for (const auto& x : rs)
      if (registry.find(x)) used_actions.insert(std::string(registry.find(x)->name()));
  }
  doc.heading(2, "1. Overview");
  doc.para(line(
      "This document details the automated responses riposte runs for security findings: for "
      "each rule, what triggers it, the steps of its automated response with the AWS calls they "
      "make and how each is undone, who is notified and what reaches the SIEM; then the safety "
      "settings, the IAM permissions riposte needs, and the review record. It is generated from "
      "the configuration riposte runs, so it describes exactly what riposte will do."));
  doc.para(line(std::to_string(cfg.rules.size()) + " rules (" + std::to_string(enabled) +
                " enabled), " + std::to_string(cfg.playbooks.size()) + " playbooks, " +
                std::to_string(used_actions.size()) + " response actions."));
  {
    std::vector<std::vector<Line>> rows;
    for (const auto& r : cfg.rules) {
      rows.push_back(
          {Line{code(r.name)}, line(describePattern(r.pattern)),
           r.playbook.empty() ? line("record only") : Line{code(r.playbook)},
           line(r.enabled ? (r.dry_run || playbookDryRun(cfg, r.playbook) ? "enabled (dry run)"
                                                                          : "enabled")
                          : "disabled")});
    }
    doc.table({line("Rule"), line("Trigger"), line("Response"), line("Status")}, std::move(rows));
  }

  // 2. Procedures
  doc.heading(2, "2. Incident response procedures");
  doc.para(
      line("Rules are evaluated on every event; every rule that matches opens (or updates) "
           "an incident for the affected resource, and its playbook runs once per incident."));
  for (const auto& r : cfg.rules) ruleSection(doc, c, r);

  // 3. Playbooks
  doc.heading(2, "3. Playbooks");
  for (const auto& [name, pb] : cfg.playbooks) {
    doc.heading(3, name);
    Line l{text("Defined in "), code(pb.file)};
    std::vector<std::string> users;
    for (const auto& r : cfg.rules)
      if (r.playbook == name) users.push_back(r.name);
    if (users.empty()) {
      l << text("; no rule runs it.");
    } else {
      l << text("; run by ") << codeList(users) << text(".");
    }
    if (pb.dry_run) {
      l << text(" Always a dry run (") << code("playbooks." + name + ".dry_run: true")
        << text(" in ") << code("riposte.yaml")
        << text("): every action plans and records what it would do and changes nothing.");
    }
    doc.para(std::move(l));
    if (const auto* o = pb.definition.if_object()) {
      if (auto cm = stringMember(*o, "Comment"); !cm.empty()) doc.para(line(cm));
    }
    doc.diagram(&pb.definition);
    std::vector<std::vector<Line>> rows;
    Graph g = buildGraph(pb.definition);
    for (int i : g.order) {
      const auto& s = *g.states[static_cast<std::size_t>(i)];
      std::vector<std::string> next;
      for (const auto& e : g.edges) {
        if (e.from != i) continue;
        std::string t = g.names[static_cast<std::size_t>(e.to)];
        if (e.kind == GEdge::Choice) t += " (if " + e.label + ")";
        if (e.kind == GEdge::Default) t += " (default)";
        if (e.kind == GEdge::Catch) t += " (" + e.label + ")";
        next.push_back(t);
      }
      if (next.empty()) next.push_back(stringMember(s, "Type") == "Fail" ? "end (failed)" : "end");
      rows.push_back({Line{strong(g.names[static_cast<std::size_t>(i)])},
                      line(stringMember(s, "Type")), line(joinStrings(next, "; "))});
    }
    doc.table({line("State"), line("Type"), line("Goes to")}, std::move(rows));
  }

  // 4. Actions
  doc.heading(2, "4. Response actions used");
  doc.para(
      line("Every action is idempotent (it checks first and changes nothing when the "
           "resource is already in the wanted state), records what it found and what it "
           "changed (enough to undo it), refuses protected resources and only plans in dry "
           "run. Releasing an incident (POST /v1/incidents/{id}/release) runs the undo of "
           "each action from that record."));
  {
    std::vector<std::vector<Line>> rows;
    for (const auto& name : used_actions) {
      // Built-ins are "riposte:<name>"; an integration's name is its resource.
      const std::string resource = startsWith(name, "arn:") ? name : "riposte:" + name;
      TaskInfo t = taskInfo(resource, registry);
      std::vector<std::string> steps;
      for (const auto& [pbn, pb] : cfg.playbooks) {
        std::vector<std::pair<std::string, const json::object*>> tasks;
        tasksOf(pb.definition, tasks);
        for (const auto& [sn, st] : tasks) {
          const actions::Action* a = registry.find(stringMember(*st, "Resource"));
          if (a && a->name() == name) steps.push_back(pbn + "/" + sn);
        }
      }
      rows.push_back({Line{code(resource)},
                      line(std::string(actions::roleName(t.action->descriptor().role))),
                      line(t.what), codeList(t.permissions), line(t.undo), codeList(steps)});
    }
    if (!rows.empty()) {
      doc.table({line("Action"), line("Role"), line("What it does"), line("IAM permissions"),
                 line("Undo"), line("Used by")},
                std::move(rows));
    }
  }

  // 5. Notifications
  doc.heading(2, "5. Notifications");
  if (const auto* n = member(c.raw, "notifications"); n && n->is_object()) {
    doc.para(line("Notification targets (riposte.yaml notifications:), as written:"));
    doc.list(settingItems(*n));
  } else {
    doc.para(line("No notification target is configured in riposte.yaml (notifications:)."));
  }
  {
    std::vector<Item> who;
    for (const auto& r : cfg.rules) {
      auto it = cfg.playbooks.find(r.playbook);
      auto notes = notificationItems(c, it == cfg.playbooks.end() ? nullptr : &it->second);
      Item item{Line{code(r.name), text(notes.empty() ? ": no alert." : ":")}, std::move(notes)};
      who.push_back(std::move(item));
    }
    doc.para(line("Alerts per rule:"));
    doc.list(std::move(who));
  }

  // 6. SIEM
  doc.heading(2, "6. Integration with SIEM");
  {
    // Every SIEM action the playbooks use, with the playbooks that use it.
    std::map<std::string, std::set<std::string>> siem;  // resource → playbooks
    for (const auto& [name, pb] : cfg.playbooks) {
      std::vector<std::string> rs;
      taskResources(pb.definition, rs);
      for (const auto& x : rs)
        if (isSiem(x, registry)) siem[x].insert(name);
    }
    std::vector<Item> items;
    if (siem.empty()) {
      items.push_back(Item{line("No playbook records its response in a security system."), {}});
    }
    for (const auto& [resource, pbs] : siem) {
      items.push_back(Item{Line{code(resource), text(" (")}
                               << text(pbs.size() == 1 ? "playbook " : "playbooks ")
                               << codeList({pbs.begin(), pbs.end()})
                               << text("): " + registry.find(resource)->descriptor().description),
                           {}});
    }
    items.push_back(Item{Line{text("Audit log: every event, incident, execution step and action "
                                   "is recorded in the store and served by the HTTP API "
                                   "(GET /v1/incidents, GET /v1/executions/{id}). Store: ")}
                             << settingLine(member(c.raw, "store") ? *member(c.raw, "store")
                                                                   : json::value(cfg.store_url))
                             << text("."),
                         {}});
    if (const auto* s = sinksSetting(c.raw)) {
      Item it{line("SIEM sinks configured in riposte.yaml, fed from the audit log:"),
              settingItems(*s)};
      items.push_back(std::move(it));
    } else {
      items.push_back(Item{line("No other SIEM sink (Splunk HEC, syslog, JSON lines) is "
                                "configured in riposte.yaml."),
                           {}});
    }
    doc.list(std::move(items));
  }

  // 7. Safety
  doc.heading(2, "7. Safety settings");
  {
    const auto* safety = asObject(member(c.raw, "safety"));
    std::vector<Item> items;
    const json::value* dry = safety ? member(*safety, "dry_run") : nullptr;
    Line d{strong("Dry run"), text(": ")};
    if (dry) {
      d << settingLine(*dry);
    } else {
      d << code(cfg.safety.dry_run ? "true" : "false");
    }
    std::string def = dry ? settingDefault(dry) : (cfg.safety.dry_run ? "true" : "false");
    d << text(def == "true" ? ". On by default: " : ". When on, ");
    d << text("every action reads and records what it would do and changes nothing.");
    items.push_back(Item{std::move(d), {}});
    std::vector<std::string> dry_rules, dry_pbs;
    for (const auto& r : cfg.rules)
      if (r.dry_run) dry_rules.push_back(r.name);
    for (const auto& [n, pb] : cfg.playbooks)
      if (pb.dry_run) dry_pbs.push_back(n);
    Line dr{text("Rules always in dry run: ")};
    dr << (dry_rules.empty() ? line("none") : codeList(dry_rules)) << text("; playbooks: ")
       << (dry_pbs.empty() ? line("none") : codeList(dry_pbs)) << text(".");
    items.push_back(Item{std::move(dr), {}});
    const json::value* tag = safety ? member(*safety, "protected_tag") : nullptr;
    Line p{strong("Protected resources"), text(": resources tagged ")};
    if (tag) {
      p << settingLine(*tag);
    } else {
      p << code(cfg.safety.protected_tag_key + "=" + cfg.safety.protected_tag_value);
    }
    p << text(
        " are never modified: actions refuse them with ResourceProtected (the step fails "
        "and its Catch, if any, handles it).");
    items.push_back(Item{std::move(p), {}});
    if (safety) {
      json::object other;
      for (const auto& kv : *safety)
        if (kv.key() != "dry_run" && kv.key() != "protected_tag") other[kv.key()] = kv.value();
      if (!other.empty())
        items.push_back(Item{line("Other safety settings:"), settingItems(json::value(other))});
    }
    items.push_back(Item{line("Repeats: one execution per incident and playbook, so a finding "
                              "reported again changes nothing; every action checks the current "
                              "state before it changes it."),
                         {}});
    doc.list(std::move(items));
  }

  // 8. IAM
  doc.heading(2, "8. IAM permissions");
  {
    std::vector<std::string> undo;
    std::vector<std::string> need = requiredPermissions(cfg, registry, &undo);
    doc.para(
        line("The permissions the playbooks' steps need (the union over the actions they "
             "use), and the extra ones the undo of those actions needs. Resource is \"*\" "
             "because the instances, network ACLs and topics come from the findings; narrow "
             "it per account with conditions if your accounts allow."));
    json::array statements;
    auto statement = [](const char* sid, const std::vector<std::string>& actions) {
      json::array a;
      for (const auto& x : actions) a.emplace_back(x);
      return json::object{{"Sid", sid}, {"Effect", "Allow"}, {"Action", a}, {"Resource", "*"}};
    };
    if (!need.empty()) statements.push_back(statement("RiposteResponse", need));
    if (!undo.empty()) statements.push_back(statement("RiposteUndo", undo));
    json::object policy{{"Version", "2012-10-17"}, {"Statement", statements}};
    doc.codeBlock("json", toPrettyJson(json::value(policy)) + "\n");
  }

  // 9. Review
  doc.heading(2, "9. Review and update");
  {
    std::vector<Item> items;
    items.push_back(Item{Line{text("Configuration version: "), code(version),
                              text(" (SHA-256 of the configuration files)")},
                         {}});
    items.push_back(Item{line("Date: " + meta.date), {}});
    std::vector<std::string> files;
    {
      std::error_code ec;
      if (!cfg.dir.empty() && fs::is_directory(cfg.dir, ec)) {
        if (fs::exists(fs::path(cfg.dir) / "riposte.yaml", ec)) files.push_back("riposte.yaml");
      }
      for (const auto& [n, pb] : cfg.playbooks) files.push_back(pb.file);
      std::set<std::string> seen;
      for (const auto& r : cfg.rules)
        if (seen.insert(r.file).second) files.push_back(r.file);
    }
    items.push_back(Item{Line{text("Files: ")} << codeList(files), {}});
    items.push_back(
        Item{line("Review these procedures quarterly (next review by " + plusMonths(meta.date, 3) +
                  ") and whenever the threat picture or the configuration changes; "
                  "a change to the configuration changes its version, and this "
                  "document must be regenerated with it."),
             {}});
    items.push_back(Item{Line{text("Regenerate: "), code(command)}, {}});
    doc.list(std::move(items));
  }

  if (format == RunbookFormat::Html) return renderHtml(doc, title);
  return renderMarkdown(doc);
}

}  // namespace riposte::engine
