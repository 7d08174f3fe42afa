#pragma once
// Diagrams of a playbook: Mermaid for the Markdown runbook, an inline SVG for the HTML one.

#include <string>

#include "core/json.h"

namespace riposte::runbook {

// Mermaid `flowchart TD` of a playbook: one node per state (nested Parallel/Map states in
// subgraphs), one `-->` edge per transition (Next, each Choice rule, Default, each Catch).
std::string mermaidDiagram(const json::value& definition);

// A self-contained <svg> of a playbook's top-level states: layered layout (Sugiyama-style:
// longest-path layers, virtual nodes on long edges, barycentric ordering, centred rows), boxes,
// arrows, labelled Choice / Default / Catch edges; loops go round the right-hand side.
std::string svgDiagram(const json::value& definition);

}  // namespace riposte::runbook
