#pragma once
// AWS Query-protocol responses (XML) as pugixml documents, and a generic XML → JSON view.

#include <memory>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"

namespace riposte::aws {

// A parsed XML response; cheap to copy (shared, immutable after parsing).
class XmlDocument {
 public:
  XmlDocument() : doc_(std::make_shared<pugi::xml_document>()) {}
  // Parses `text`; error "MalformedResponse" when it is not well-formed XML.
  static Result<XmlDocument> parse(std::string_view text);

  // The document element (for example <DescribeInstancesResponse>).
  pugi::xml_node root() const { return doc_->document_element(); }
  // Text of the first element at a '/'-separated path below the root ("" when absent).
  std::string text(std::string_view path) const;
  // The whole document element as JSON (see xmlToJson).
  json::value toJson() const;

 private:
  std::shared_ptr<pugi::xml_document> doc_;
};

// Converts an element to JSON the way AWS's Query responses are shaped:
//  * an element with no child elements → its text (a string), except an empty element whose
//    name ends in "Set" or is one of EC2's few other list names (ipPermissions,
//    ipPermissionsEgress, ipRanges, ipv6Ranges, groups, prefixListIds) → [];
//  * an element whose child elements are all <item> or all <member> → an array of them;
//  * otherwise an object of its children; a name repeated among siblings → an array.
json::value xmlToJson(pugi::xml_node node);

}  // namespace riposte::aws
