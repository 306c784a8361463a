#include "host/stats/accumulator_state.hpp"

#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "host/content_hash.hpp"

namespace chipshock {

namespace {

__extension__ typedef unsigned __int128 UInt128;

constexpr char kMagic[8] = {'C', 'S', 'L', 'O', 'S', 'A', 'C', 'C'};

class Writer {
 public:
  void bytes(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  void u64(std::uint64_t v) {
    for (int b = 0; b < 8; ++b) out_.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
  }
  void u32(std::uint32_t v) {
    for (int b = 0; b < 4; ++b) out_.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
  }
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void f64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u64(bits);
  }
  void i128(Int128 v) {
    const auto u = static_cast<UInt128>(v);
    u64(static_cast<std::uint64_t>(u));
    u64(static_cast<std::uint64_t>(u >> 64));
  }
  std::string take() { return std::move(out_); }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(const std::string& in) : in_(in) {}
  void need(std::size_t n) const {
    if (in_.size() - pos_ < n) throw AccumulatorStateError("accumulator state: truncated");
  }
  std::uint64_t u64() {
    need(8);
    std::uint64_t v = 0;
    for (int b = 0; b < 8; ++b)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + b])) << (8 * b);
    pos_ += 8;
    return v;
  }
  std::uint32_t u32() {
    need(4);
    std::uint32_t v = 0;
    for (int b = 0; b < 4; ++b)
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in_[pos_ + b])) << (8 * b);
    pos_ += 4;
    return v;
  }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  double f64() {
    const std::uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  Int128 i128() {
    const UInt128 lo = u64();
    const UInt128 hi = u64();
    return static_cast<Int128>(lo | (hi << 64));
  }
  void skip(std::size_t n) {
    need(n);
    pos_ += n;
  }
  std::size_t pos() const { return pos_; }

 private:
  const std::string& in_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode_accumulator(const LossAccumulator& acc) {
  const LossHistogram& h = acc.histogram();
  const std::vector<double> tail = acc.tail();
  Writer w;
  w.bytes(kMagic, sizeof kMagic);
  w.u32(kAccumulatorStateVersion);
  w.u32(0);
  w.f64(acc.loss_scale());
  w.u64(acc.tail_size());
  w.u64(acc.count());
  w.u64(acc.non_finite());
  w.u64(acc.positive());
  w.f64(acc.max());
  w.i32(acc.sum_exponent());
  w.i32(acc.sum_sq_exponent());
  w.i128(acc.sum_units());
  w.i128(acc.sum_sq_units());
  w.f64(h.bins().lo);
  w.f64(h.bins().width);
  w.i32(h.bins().count);
  w.u32(0);
  w.u64(h.underflow());
  w.u64(h.overflow());
  for (std::uint64_t c : h.counts()) w.u64(c);
  w.u64(tail.size());
  for (double x : tail) w.f64(x);
  w.u64(fnv1a64(w.text()));
  return w.take();
}

LossAccumulator decode_accumulator(const std::string& bytes) {
  if (bytes.size() < sizeof kMagic + 16 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw AccumulatorStateError("accumulator state: not an accumulator image (bad magic)");
  Reader r(bytes);
  r.skip(sizeof kMagic);
  const std::uint32_t version = r.u32();
  if (version != kAccumulatorStateVersion)
    throw AccumulatorStateError("accumulator state: version " + std::to_string(version) +
                                ", this build reads version " +
                                std::to_string(kAccumulatorStateVersion));
  std::uint64_t stored = 0;  // the last 8 bytes
  for (std::size_t b = 0; b < 8; ++b)
    stored |= std::uint64_t{static_cast<unsigned char>(bytes[bytes.size() - 8 + b])} << (8 * b);
  if (stored != fnv1a64(std::string_view(bytes).substr(0, bytes.size() - 8)))
    throw AccumulatorStateError("accumulator state: checksum mismatch (damaged data)");
  r.u32();  // reserved
  const double loss_scale = r.f64();
  const std::uint64_t tail_size = r.u64();
  LossPartial p;
  p.n = r.u64();
  p.bad = r.u64();
  p.positive = r.u64();
  p.max = r.f64();
  const std::int32_t sum_exponent = r.i32(), sum_sq_exponent = r.i32();
  p.sum_units = r.i128();
  p.sum_sq_units = r.i128();
  HistogramBins bins;
  bins.lo = r.f64();
  bins.width = r.f64();
  bins.count = r.i32();
  r.u32();  // reserved
  const std::uint64_t underflow = r.u64(), overflow = r.u64();
  if (bins.count < 0 || static_cast<std::uint64_t>(bins.count) > (bytes.size() - r.pos()) / 8)
    throw AccumulatorStateError("accumulator state: bad histogram size");
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(bins.count));
  for (std::uint64_t& c : counts) c = r.u64();
  const std::uint64_t tail_length = r.u64();
  if (tail_length > tail_size || tail_length > (bytes.size() - r.pos()) / 8)
    throw AccumulatorStateError("accumulator state: bad tail length");
  p.tail.resize(static_cast<std::size_t>(tail_length));
  for (double& x : p.tail) x = r.f64();
  if (r.pos() + 8 != bytes.size())
    throw AccumulatorStateError("accumulator state: unexpected length");

  LossAccumulator acc(loss_scale, static_cast<std::size_t>(tail_size));
  if (acc.sum_exponent() != sum_exponent || acc.sum_sq_exponent() != sum_sq_exponent)
    throw AccumulatorStateError("accumulator state: sum grids do not match its loss scale");
  acc.merge(p);
  if (bins.count > 0 || underflow > 0 || overflow > 0)
    acc.restore_histogram(LossHistogram(bins, std::move(counts), underflow, overflow));
  else if (bins.width > 0)
    acc.set_histogram(bins);
  return acc;
}

}  // namespace chipshock
