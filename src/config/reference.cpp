#include "config/reference.h"

namespace riposte::config {

namespace {

using K = Schema::Kind;

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string keyLabel(const Schema& map) {
  return "<" + (map.key_name.empty() ? std::string("name") : map.key_name) + ">";
}

std::string memberKey(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

std::string variantPrefix(const std::string& prefix, const Schema& tagged,
                          const std::string& variant) {
  return memberKey(prefix, tagged.tag + "=" + variant);
}

std::vector<std::string> variantNames(const Schema& s) {
  std::vector<std::string> names;
  for (const auto& [n, _] : s.variants) names.push_back(n);
  return names;
}

// The doc of the tag member: the one a variant declares, else a sentence of its own.
std::string tagDoc(const Schema& s) {
  for (const auto& [_, v] : s.variants)
    if (const Field* f = v->field(s.tag); f != nullptr && !f->schema.doc.empty())
      return f->schema.doc;
  return "picks which of the variants below the mapping is";
}

std::string defaultOf(const Field& f) {
  if (!f.default_text.empty()) return f.default_text;
  if (!f.default_value) return "";
  const json::value& v = *f.default_value;
  if (v.is_object() && v.get_object().empty()) return "";  // a section: its keys have theirs
  if (v.is_string()) return "`" + std::string(v.get_string()) + "`";
  return "`" + json::serialize(v) + "`";
}

std::string docOf(const Field& f) {
  std::string doc = f.schema.doc;
  if (f.optional_when_empty) doc += " (an unset ${VAR} here leaves the key unset)";
  return doc;
}

void rowsOf(const Schema& s, const std::string& key, std::vector<ReferenceRow>& out);

void fieldRows(const Schema& object, const std::string& prefix, const std::string& skip,
               std::vector<ReferenceRow>& out) {
  for (const auto& f : object.fields) {
    if (f.name == skip) continue;
    const std::string k = memberKey(prefix, f.name);
    out.push_back(ReferenceRow{k, referenceType(f.schema), defaultOf(f), f.required, docOf(f)});
    rowsOf(f.schema, k, out);
  }
}

// The rows under a value of `s` at `key` (its members, items, entries).
void rowsOf(const Schema& s, const std::string& key, std::vector<ReferenceRow>& out) {
  switch (s.kind) {
    case K::kObject:
      fieldRows(s, key, "", out);
      break;
    case K::kList:
      rowsOf(*s.item, key + "[]", out);
      break;
    case K::kMap: {
      const std::string k = memberKey(key, keyLabel(s));
      out.push_back(ReferenceRow{k, referenceType(*s.item), "", false, s.item->doc});
      rowsOf(*s.item, k, out);
      break;
    }
    case K::kTagged:
      out.push_back(ReferenceRow{memberKey(key, s.tag), "one of " + joined(variantNames(s), "|"),
                                 "", true, tagDoc(s)});
      for (const auto& [name, v] : s.variants)
        fieldRows(*v, variantPrefix(key, s, name), s.tag, out);
      break;
    default:
      break;
  }
}

// A table cell's text: '|' escaped, '<' and '>' as entities (Markdown would take "<account id>"
// for an HTML tag), on one line. Keys are code spans: `code` keeps them as they are.
std::string cell(const std::string& s, bool code = false) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '<' && !code)
      out += "&lt;";
    else if (c == '>' && !code)
      out += "&gt;";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

void keysOf(const Schema& s, const json::value& v, const std::string& prefix,
            std::vector<std::string>& out) {
  switch (s.kind) {
    case K::kObject:
      if (const json::object* o = v.if_object()) {
        for (const auto& kv : *o) {
          const std::string name(kv.key());
          const std::string k = memberKey(prefix, name);
          out.push_back(k);
          if (const Field* f = s.field(name)) keysOf(f->schema, kv.value(), k, out);
        }
      }
      break;
    case K::kList:
      if (const json::array* a = v.if_array())
        for (const auto& item : *a) keysOf(*s.item, item, prefix + "[]", out);
      break;
    case K::kMap:
      if (const json::object* o = v.if_object()) {
        const std::string k = memberKey(prefix, keyLabel(s));
        for (const auto& kv : *o) {
          out.push_back(k);
          keysOf(*s.item, kv.value(), k, out);
        }
      }
      break;
    case K::kTagged:
      if (const json::object* o = v.if_object()) {
        const json::value* t = o->if_contains(s.tag);
        const std::string variant = t != nullptr && t->is_string() ? std::string(t->get_string())
                                    : t != nullptr                 ? json::serialize(*t)
                                                                   : std::string("?");
        const Schema* vs = nullptr;
        for (const auto& [name, schema] : s.variants)
          if (name == variant) vs = schema.get();
        const std::string vp = variantPrefix(prefix, s, variant);
        for (const auto& kv : *o) {
          const std::string name(kv.key());
          if (name == s.tag) {
            out.push_back(memberKey(prefix, name));
            continue;
          }
          const std::string k = memberKey(vp, name);
          out.push_back(k);
          if (vs != nullptr)
            if (const Field* f = vs->field(name)) keysOf(f->schema, kv.value(), k, out);
        }
      }
      break;
    default:
      break;
  }
}

Result<std::pair<std::size_t, std::size_t>> markers(const std::string& document) {
  const auto b = document.find(kConfigReferenceBegin);
  const auto e = document.find(kConfigReferenceEnd);
  if (b == std::string::npos || e == std::string::npos || e < b) {
    return fail("InvalidArgument", std::string("the document has no \"") + kConfigReferenceBegin +
                                       "\" … \"" + kConfigReferenceEnd + "\" section to generate");
  }
  return std::make_pair(b + std::string(kConfigReferenceBegin).size(), e);
}

}  // namespace

std::string referenceType(const Schema& s) {
  switch (s.kind) {
    case K::kAny:
      return s.type_name.empty() ? "any" : s.type_name;
    case K::kString:
      return s.type_name.empty() ? "string" : s.type_name;
    case K::kBool:
      return "bool";
    case K::kInt:
      return "integer " + std::to_string(s.min) + ".." + std::to_string(s.max);
    case K::kEnum:
      return "one of " + joined(s.values, "|");
    case K::kDuration:
      return "duration";
    case K::kUrl:
      return "URL (" + joined(s.values, "|") + ")";
    case K::kListen:
      return "host:port (port " + std::to_string(s.min) + ".." + std::to_string(s.max) + ")";
    case K::kList:
      return "list of " + referenceType(*s.item);
    case K::kMap:
      return "map of " + keyLabel(s) + " → " + referenceType(*s.item);
    case K::kObject:
      return "mapping";
    case K::kTagged:
      return "mapping by " + s.tag;
  }
  return "any";
}

std::vector<ReferenceRow> referenceRows(const Schema& schema, const std::string& prefix) {
  std::vector<ReferenceRow> out;
  rowsOf(schema, prefix, out);
  return out;
}

std::string referenceTable(const std::vector<ReferenceRow>& rows) {
  std::string out = "| key | type | default | required | description |\n|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    out += "| `" + cell(r.key, true) + "` | " + cell(r.type) + " | " +
           (r.default_text.empty() ? "—" : cell(r.default_text)) + " | " +
           (r.required ? "required" : "optional") + " | " + cell(r.doc) + " |\n";
  }
  return out;
}

std::string renderReference(const std::vector<ReferenceSection>& sections) {
  std::string out;
  for (const auto& s : sections) {
    if (!out.empty()) out += "\n";
    out += "#### " + s.title + "\n\n";
    if (!s.intro.empty()) out += s.intro + "\n\n";
    if (s.schema != nullptr) out += referenceTable(referenceRows(*s.schema));
  }
  return out;
}

std::vector<std::string> referenceKeysOf(const Schema& schema, const json::value& value,
                                         const std::string& prefix) {
  std::vector<std::string> out;
  keysOf(schema, value, prefix, out);
  return out;
}

Result<std::string> spliceConfigReference(const std::string& document,
                                          const std::string& generated) {
  auto m = markers(document);
  if (!m) return fail(m.error());
  return document.substr(0, m->first) + "\n" + generated + document.substr(m->second);
}

Result<std::string> configReferenceOf(const std::string& document) {
  auto m = markers(document);
  if (!m) return fail(m.error());
  std::string s = document.substr(m->first, m->second - m->first);
  if (!s.empty() && s.front() == '\n') s.erase(0, 1);
  return s;
}

}  // namespace riposte::config
