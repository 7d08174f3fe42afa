#include "runbook/diagrams.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "asl/visit.h"
#include "runbook/document.h"
#include "runbook/playbook_graph.h"
#include "runbook/text.h"

namespace riposte::runbook {
namespace {

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
    const std::vector<const json::value*> subs = asl::nestedStateLists(s);
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

}  // namespace riposte::runbook
