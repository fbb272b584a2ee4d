// The catalogue's own documents, as JSON and text: "catalog-ls", "catalog-add" and "history".
// (`catalog diff` and `catalog verdict` reuse the "diff" and "verdict" documents of reports/.)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "reports/json.hpp"

namespace upscope::catalog {

reports::Json to_json(const BuildRecord& b);

reports::Json ls_document(const std::string& db_path, const std::vector<BuildRecord>& builds);
std::string ls_text(const std::string& db_path, const std::vector<BuildRecord>& builds);

// What `catalog add` did with one input.
struct AddOutcome {
  std::string input;
  std::optional<AddResult> result;  // none: the input could not be read or stored
  std::optional<Error> error;
};
reports::Json add_document(const std::string& db_path, const std::vector<AddOutcome>& outcomes);
std::string add_line(const AddOutcome& o);  // "added #3 macOS 13.4 (22F66): 9 components"

reports::Json history_document(const std::string& db_path, const History& h);
std::string history_text(const History& h);

}  // namespace upscope::catalog
