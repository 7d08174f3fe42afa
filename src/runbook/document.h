#pragma once
// The runbook's document model and its two renderers: the Markdown and HTML runbooks say
// exactly the same things because both render one Doc. A Doc is a list of blocks (headings,
// paragraphs, lists, code blocks, tables, playbook diagrams) whose lines are spans of text,
// code and strong text; renderers escape for their format.
//
//   Doc doc;
//   doc.heading(2, "1. Overview");
//   doc.para(Line{text("Runs "), code("riposte:aws.ec2.isolateInstance"), text(".")});
//   std::string md = renderMarkdown(doc);

#include <string>
#include <vector>

#include "core/json.h"

namespace riposte::runbook {

struct Span {
  enum Kind { Text, Code, Strong } kind = Text;
  std::string text;
};
using Line = std::vector<Span>;

Span text(std::string s);
Span code(std::string s);
Span strong(std::string s);
Line& operator<<(Line& l, Span s);
Line& operator<<(Line& l, const Line& more);
Line operator<<(Line&& l, Span s);
Line operator<<(Line&& l, const Line& more);
// A line of one text span.
Line line(std::string s);
// Code spans separated by ", ".
Line codeList(const std::vector<std::string>& items);

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
  const json::value* definition = nullptr;  // Diagram: a playbook, drawn by the renderer
};

class Doc {
 public:
  void heading(int level, std::string s);
  void para(Line l);
  void list(std::vector<Item> items, bool ordered = false);  // nothing when empty
  void codeBlock(std::string lang, std::string c);
  void table(std::vector<Line> head, std::vector<std::vector<Line>> rows);
  // The playbook must outlive the Doc. Markdown draws it in Mermaid, HTML as an inline SVG.
  void diagram(const json::value* definition);
  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  std::vector<Block> blocks_;
};

// CommonMark.
std::string renderMarkdown(const Doc& doc);
// A self-contained HTML page (inline CSS; headings get unique ids).
std::string renderHtml(const Doc& doc, const std::string& title);
std::string htmlEscape(const std::string& s);

}  // namespace riposte::runbook
