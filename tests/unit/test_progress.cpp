#include <catch2/catch.hpp>

#include "inspect/progress.hpp"

using namespace upscope;

TEST_CASE("eta_text extrapolates the rate so far, once there is one", "[progress]") {
  CHECK(eta_text(10.0, 50, 100) == " ETA 10s");
  CHECK(eta_text(30.0, 10, 100) == " ETA 4m30s");
  CHECK(eta_text(3600.0, 1, 3) == " ETA 2h00m");
  CHECK(eta_text(0.5, 50, 100).empty());  // under a second: no rate worth extrapolating
  CHECK(eta_text(10.0, 0, 100).empty());
  CHECK(eta_text(10.0, 100, 100).empty());
}

TEST_CASE("ProgressShare advances its part of a bar, never backwards, and fills it when done", "[progress]") {
  set_progress_mode(ProgressMode::kNever);
  Progress bar("test", 100);
  {
    ProgressShare share(&bar, 40);
    share.set_fraction(1, 4);
    CHECK(bar.done() == 10);
    share.set_fraction(1, 2);
    CHECK(bar.done() == 20);
    share.set_fraction(1, 4);  // a report out of order does not take the bar back
    CHECK(bar.done() == 20);
    share.set_fraction(5, 0);  // no total: nothing to report
    CHECK(bar.done() == 20);
  }
  CHECK(bar.done() == 40);  // the share's whole weight, though its work stopped at half
  {
    ProgressShare share(&bar, 60);
    share.set_fraction(7, 3);  // more than all of it counts as all of it
    CHECK(bar.done() == 100);
  }
  CHECK(bar.done() == 100);
  ProgressShare none(nullptr, 5);
  none.set_fraction(1, 2);  // no bar: nothing to do
  set_progress_mode(ProgressMode::kAuto);
}
