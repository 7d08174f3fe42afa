#include "runbook/pattern_words.h"

#include <map>

#include "runbook/text.h"

namespace riposte::runbook {
namespace {

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

}  // namespace

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

}  // namespace riposte::runbook
