#pragma once
// The output shapes of the AWS SDK for the Query-protocol operations riposte's playbooks use
// through Step Functions' aws-sdk integration: member names as the SDK spells them (PascalCase,
// and the SDK's own name where the wire element differs: EC2 "groupSet" on an instance is
// "SecurityGroups", "groupDescription" is "Description", "default" on a network ACL is
// "IsDefault"), and scalars typed (integers, booleans, doubles) instead of the wire's text.
// A small hand-written table (sdk_shapes.cpp), written from the AWS API references, covers the
// operations in exactShapeOperations(); every other operation gets the heuristic shape.

#include <string>
#include <vector>

#include "core/json.h"

namespace riposte::actions {

// `wire` is the response as aws::xmlToJson gives it (the document element's children; for
// IAM/SNS/STS the "<Operation>Result" element is looked up here). Returns the SDK-shaped
// output: exact for the operations of exactShapeOperations(), else derived from the wire
// (camelCase → PascalCase, EC2 "…Set" lists pluralised, every scalar a string). The request
// id and the response metadata are dropped.
json::value sdkOutput(const std::string& service, const std::string& operation,
                      const json::value& wire);

// True when `operation` ("DescribeInstances") of `service` ("ec2") has an exact shape.
bool hasExactShape(const std::string& service, const std::string& operation);

// "ec2:DescribeInstances", … (sorted): the operations whose output shape is exact.
std::vector<std::string> exactShapeOperations();

}  // namespace riposte::actions
