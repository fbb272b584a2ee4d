// The placement table as documents: `upscope verdict --list-components` (the component-name rows,
// "advisory-components") and `upscope verdict --list-placement` (every row, "placement").
#pragma once

#include <string>

#include "reports/json.hpp"

namespace upscope::reports {

Json advisory_components_document();
std::string advisory_components_text();

Json placement_document();
std::string placement_text();

}  // namespace upscope::reports
