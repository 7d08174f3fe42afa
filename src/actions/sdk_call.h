#pragma once
// Step Functions' direct service integrations for the Query-protocol services:
// "arn:aws:states:::aws-sdk:<ec2|iam|sns|sts>:<apiAction>" and "arn:aws:states:::sns:publish".

#include <memory>
#include <string_view>

#include "actions/action.h"

namespace riposte::actions {

// An action for the resource, or nullptr when it is not a supported integration. Parameters
// (SDK member names) are serialised for the Query protocol (EC2: "InstanceIds" →
// "InstanceId.N", "Filters" → "Filter.N.Name"; IAM/SNS/STS: lists as "K.member.N"); the
// response is SDK-shaped (sdk_shapes.h: the SDK's member names and scalar types for the
// operations of exactShapeOperations(); names derived from the wire and every scalar a string
// for the others); errors are "<Service>.<Code>Exception", dots removed
// ("Ec2.InvalidInstanceIDNotFoundException", "Iam.NoSuchEntityException").
std::shared_ptr<const Action> makeSdkCall(std::string_view resource);

}  // namespace riposte::actions
