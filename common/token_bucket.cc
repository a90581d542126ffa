#include "common/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace fleetgate {

TokenBucket::TokenBucket(uint64_t rate, uint64_t burst, TimePoint now)
    : rate_(rate), burst_(burst ? burst : std::max<uint64_t>(rate, 1)), tokens_(0), last_(now) {
  tokens_ = static_cast<double>(burst_);
}

void TokenBucket::set_rate(uint64_t rate, uint64_t burst, TimePoint now) {
  refill(now);
  rate_ = rate;
  burst_ = burst ? burst : std::max<uint64_t>(rate, 1);
  tokens_ = std::min(tokens_, static_cast<double>(burst_));
}

void TokenBucket::refill(TimePoint now) {
  if (now <= last_) return;  // a clock that does not move adds nothing
  const double secs = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(static_cast<double>(burst_), tokens_ + secs * static_cast<double>(rate_));
  last_ = now;
}

uint64_t TokenBucket::take(uint64_t want, TimePoint now) {
  if (unlimited()) return want;
  refill(now);
  const uint64_t granted = std::min(want, static_cast<uint64_t>(std::floor(tokens_)));
  tokens_ -= static_cast<double>(granted);
  return granted;
}

std::chrono::nanoseconds TokenBucket::wait_for(uint64_t bytes, TimePoint now) {
  if (unlimited()) return std::chrono::nanoseconds(0);
  refill(now);
  const double need = static_cast<double>(std::min(bytes, burst_)) - tokens_;
  if (need <= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(
      static_cast<int64_t>(std::ceil(need * 1e9 / static_cast<double>(rate_))));
}

}  // namespace fleetgate
