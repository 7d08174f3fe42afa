#include "aws/xml.h"

#include <algorithm>
#include <iterator>
#include <map>

namespace riposte::aws {

Result<XmlDocument> XmlDocument::parse(std::string_view text) {
  XmlDocument d;
  pugi::xml_parse_result r =
      d.doc_->load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) {
    return fail("MalformedResponse", std::string("invalid XML in AWS response at offset ") +
                                         std::to_string(r.offset) + ": " + r.description());
  }
  if (!d.root()) return fail("MalformedResponse", "empty XML document in AWS response");
  return d;
}

std::string XmlDocument::text(std::string_view path) const {
  pugi::xml_node n = root().first_element_by_path(std::string(path).c_str());
  return n ? std::string(n.text().get()) : std::string();
}

json::value XmlDocument::toJson() const {
  return xmlToJson(root());
}

json::value xmlToJson(pugi::xml_node node) {
  bool any_child = false;
  bool all_item = true, all_member = true;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    any_child = true;
    std::string_view name = c.name();
    if (name != "item") all_item = false;
    if (name != "member") all_member = false;
  }
  if (!any_child) {
    std::string_view name = node.name();
    std::string text = node.text().get();
    // EC2 lists are named "…Set", except a few in security group rules.
    static constexpr std::string_view kLists[] = {"ipPermissions", "ipPermissionsEgress",
                                                  "ipRanges",      "ipv6Ranges",
                                                  "groups",        "prefixListIds"};
    const bool list_name =
        (name.size() > 3 && name.substr(name.size() - 3) == "Set") ||
        std::find(std::begin(kLists), std::end(kLists), name) != std::end(kLists);
    if (text.empty() && list_name) return json::array();
    return json::value(text);
  }
  if (all_item || all_member) {
    json::array arr;
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_element) arr.push_back(xmlToJson(c));
    }
    return arr;
  }
  // Names that occur more than once among the children become arrays.
  std::map<std::string, int> counts;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) ++counts[c.name()];
  }
  json::object obj;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (counts[c.name()] > 1) {
      json::value& slot = obj[c.name()];
      if (!slot.is_array()) slot = json::array();
      slot.as_array().push_back(xmlToJson(c));
    } else {
      obj[c.name()] = xmlToJson(c);
    }
  }
  return obj;
}

}  // namespace riposte::aws
