#pragma once
// The configuration of the event sources: each source type registers the schema of its items
// (riposte.yaml `sources: {<type>: [items]}`), which the loader holds them to.
//
//   sources:
//     sqs:
//       - queue_url: https://sqs.us-east-1.amazonaws.com/123456789012/findings
//         region: us-east-1      # default: the URL's
//         wait_seconds: 20       # long polling, 0–20

#include "config/registry.h"
#include "core/result.h"

namespace riposte::sources {

// Registers the "sqs" source type (sqs_poller.h) with `registry`.
Result<void> registerConfig(config::Registry& registry);

}  // namespace riposte::sources
