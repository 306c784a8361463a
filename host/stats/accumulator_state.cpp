#include "host/stats/accumulator_state.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "host/content_hash.hpp"

namespace chipshock {

namespace {

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

// A wide sum as its canonical nonzero digits: u64 count, then {u64 index, i64 digit} each.
void write_wide(Writer& w, const WideSum& sum) {
  const std::vector<WideSum::Digit> digits = sum.nonzero_digits();
  w.u64(digits.size());
  for (const WideSum::Digit& d : digits) {
    w.u64(static_cast<std::uint64_t>(d.index));
    w.u64(static_cast<std::uint64_t>(d.value));
  }
}

WideSum read_wide(Reader& r, std::size_t size) {
  const std::uint64_t count = r.u64();
  if (count > static_cast<std::uint64_t>(WideSum::kDigits) || count > (size - r.pos()) / 16)
    throw AccumulatorStateError("accumulator state: bad wide sum length");
  WideSum sum;
  int last = -1;
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::uint64_t index = r.u64();
    const auto value = static_cast<std::int64_t>(r.u64());
    if (index >= static_cast<std::uint64_t>(WideSum::kDigits) ||
        static_cast<int>(index) <= last || value == 0 ||
        !WideSum::canonical_digit(static_cast<int>(index), value))
      throw AccumulatorStateError("accumulator state: a wide sum digit no run writes");
    last = static_cast<int>(index);
    sum.set_digit(last, value);
  }
  return sum;
}

// The fields of an image, parsed and checked.
struct Image {
  double loss_scale = 0;
  std::uint64_t tail_size = 0;
  std::uint64_t n = 0, bad = 0, positive = 0;
  double max = 0;
  std::int32_t sum_exponent = 0, sum_sq_exponent = 0;
  Int128 sum_units = 0, sum_sq_units = 0;
  std::uint64_t far = 0;
  WideSum wide_sum, wide_sum_sq;
  HistogramBins bins;
  std::uint64_t underflow = 0, overflow = 0;
  std::vector<std::uint64_t> counts;
  std::vector<TailEntry> tail;  // in the tail's order (tail_before)
  bool weighted = false;
  std::vector<WeightedLoss> weighted_entries;  // in the tail's order (WeightedOrder)
};

std::string write_image(const Image& m) {
  Writer w;
  w.bytes(kMagic, sizeof kMagic);
  w.u32(kAccumulatorStateVersion);
  w.u32(0);
  w.f64(m.loss_scale);
  w.u64(m.tail_size);
  w.u64(m.n);
  w.u64(m.bad);
  w.u64(m.positive);
  w.f64(m.max);
  w.i32(m.sum_exponent);
  w.i32(m.sum_sq_exponent);
  w.i128(m.sum_units);
  w.i128(m.sum_sq_units);
  w.u64(m.far);
  write_wide(w, m.wide_sum);
  write_wide(w, m.wide_sum_sq);
  w.f64(m.bins.lo);
  w.f64(m.bins.width);
  w.i32(m.bins.count);
  w.u32(0);
  w.u64(m.underflow);
  w.u64(m.overflow);
  for (std::uint64_t c : m.counts) w.u64(c);
  w.u64(m.tail.size());
  for (const TailEntry& e : m.tail) {
    w.f64(e.loss);
    w.u64(e.path);
  }
  w.u32(m.weighted ? 1 : 0);
  w.u32(0);
  w.u64(m.weighted_entries.size());
  for (const WeightedLoss& e : m.weighted_entries) {
    w.f64(e.loss);
    w.f64(e.weight);
    w.u64(e.path);
  }
  w.u64(fnv1a64(w.text()));
  return w.take();
}

Image read_image(const std::string& bytes) {
  if (bytes.size() < sizeof kMagic + 16 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw AccumulatorStateError("accumulator state: not an accumulator image (bad magic)");
  Reader r(bytes);
  r.skip(sizeof kMagic);
  const std::uint32_t version = r.u32();
  if (version == 2 || version == 3)
    throw AccumulatorStateError(
        "accumulator state: version " + std::to_string(version) +
        ", written by an older chipshock whose loss sums left out the largest losses and used "
        "other grids; this build reads version " + std::to_string(kAccumulatorStateVersion) +
        " only: start the run again without --resume");
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
  Image m;
  m.loss_scale = r.f64();
  m.tail_size = r.u64();
  // More kept losses than any run keeps (2^36: a terabyte of tail) is damage, not a run.
  if (m.tail_size > (std::uint64_t{1} << 36))
    throw AccumulatorStateError("accumulator state: implausible tail size");
  m.n = r.u64();
  m.bad = r.u64();
  m.positive = r.u64();
  m.max = r.f64();
  m.sum_exponent = r.i32();
  m.sum_sq_exponent = r.i32();
  m.sum_units = r.i128();
  m.sum_sq_units = r.i128();
  m.far = r.u64();
  if (m.far > m.n) throw AccumulatorStateError("accumulator state: more far losses than losses");
  m.wide_sum = read_wide(r, bytes.size());
  m.wide_sum_sq = read_wide(r, bytes.size());
  if (m.far == 0 && (!m.wide_sum.empty() || !m.wide_sum_sq.empty()))
    throw AccumulatorStateError("accumulator state: wide sums without far losses");
  m.bins.lo = r.f64();
  m.bins.width = r.f64();
  m.bins.count = r.i32();
  r.u32();  // reserved
  m.underflow = r.u64();
  m.overflow = r.u64();
  if (m.bins.count < 0 || static_cast<std::uint64_t>(m.bins.count) > (bytes.size() - r.pos()) / 8)
    throw AccumulatorStateError("accumulator state: bad histogram size");
  m.counts.resize(static_cast<std::size_t>(m.bins.count));
  for (std::uint64_t& c : m.counts) c = r.u64();
  const std::uint64_t tail_length = r.u64();
  if (tail_length > m.tail_size || tail_length > m.n ||
      tail_length > (bytes.size() - r.pos()) / 16)
    throw AccumulatorStateError("accumulator state: bad tail length");
  m.tail.resize(static_cast<std::size_t>(tail_length));
  for (TailEntry& e : m.tail) {
    e.loss = r.f64();
    e.path = r.u64();
    // The tail keeps finite losses only (NaN would also break the order checked below).
    if (!std::isfinite(e.loss))
      throw AccumulatorStateError("accumulator state: a kept loss that no run keeps");
  }
  {
    const std::uint32_t weighted = r.u32();
    r.u32();  // reserved
    if (weighted > 1) throw AccumulatorStateError("accumulator state: bad weighted flag");
    m.weighted = weighted == 1;
    const std::uint64_t length = r.u64();
    if (length > (bytes.size() - r.pos()) / 24 || (!m.weighted && length > 0) || length > m.n)
      throw AccumulatorStateError("accumulator state: bad weighted length");
    m.weighted_entries.resize(static_cast<std::size_t>(length));
    for (WeightedLoss& e : m.weighted_entries) {
      e.loss = r.f64();
      e.weight = r.f64();
      e.path = r.u64();
      // what add_weighted keeps: a finite loss and a finite, non-negative weight (NaN would
      // also break the order the estimators sort by)
      if (!std::isfinite(e.loss) || !std::isfinite(e.weight) || e.weight < 0)
        throw AccumulatorStateError("accumulator state: a weighted path that no run keeps");
    }
    if (!std::is_sorted(m.weighted_entries.begin(), m.weighted_entries.end(), WeightedOrder{}))
      throw AccumulatorStateError("accumulator state: weighted paths not in the tail's order");
  }
  if (r.pos() + 8 != bytes.size())
    throw AccumulatorStateError("accumulator state: unexpected length");
  if (!std::is_sorted(m.tail.begin(), m.tail.end(), TailOrder{}))
    throw AccumulatorStateError("accumulator state: tail not in the tail's order");
  return m;
}

bool no_histogram(const Image& m) {
  return m.bins.count == 0 && m.underflow == 0 && m.overflow == 0;
}

}  // namespace

std::string encode_accumulator(const LossAccumulator& acc, std::size_t max_tail) {
  const LossHistogram& h = acc.histogram();
  Image m;
  m.loss_scale = acc.loss_scale();
  m.tail_size = acc.tail_size();
  m.n = acc.count();
  m.bad = acc.non_finite();
  m.positive = acc.positive();
  m.max = acc.max();
  m.sum_exponent = acc.sum_exponent();
  m.sum_sq_exponent = acc.sum_sq_exponent();
  m.sum_units = acc.sum_units();
  m.sum_sq_units = acc.sum_sq_units();
  m.far = acc.far();
  m.wide_sum = acc.wide_sum();
  m.wide_sum_sq = acc.wide_sum_sq();
  m.bins = h.bins();
  m.underflow = h.underflow();
  m.overflow = h.overflow();
  m.counts = h.counts();
  m.tail = acc.tail_entries_ref(max_tail);
  m.weighted = acc.weighted();
  if (m.weighted) m.weighted_entries = acc.weighted_sorted();
  return write_image(m);
}

LossAccumulator decode_accumulator(const std::string& bytes) {
  Image m = read_image(bytes);
  LossAccumulator acc(m.loss_scale, static_cast<std::size_t>(m.tail_size));
  if (acc.sum_exponent() != m.sum_exponent || acc.sum_sq_exponent() != m.sum_sq_exponent)
    throw AccumulatorStateError("accumulator state: sum grids do not match its loss scale");
  LossPartial p;
  p.n = m.n;
  p.bad = m.bad;
  p.positive = m.positive;
  p.max = m.max;
  p.sum_units = m.sum_units;
  p.sum_sq_units = m.sum_sq_units;
  acc.merge(p);
  acc.restore_wide(std::move(m.wide_sum), std::move(m.wide_sum_sq), m.far);
  // Checked to be in the tail's order (read_image): kept as it is, never sorted again.
  acc.replace_tail(m.tail.size(), [&m](double* losses, std::uint64_t* paths) {
    for (std::size_t i = 0; i < m.tail.size(); ++i) {
      losses[i] = m.tail[i].loss;
      paths[i] = m.tail[i].path;
    }
  });
  if (m.weighted) {
    if (m.weighted_entries.size() != m.n)
      throw AccumulatorStateError("accumulator state: weighted paths do not match the count");
    acc.restore_weighted(std::move(m.weighted_entries));
  }
  if (!no_histogram(m))
    acc.restore_histogram(LossHistogram(m.bins, std::move(m.counts), m.underflow, m.overflow));
  else if (m.bins.width > 0)
    acc.set_histogram(m.bins);
  return acc;
}

std::string merge_accumulator_images(const std::string& a_bytes, const std::string& b_bytes,
                                     std::size_t max_tail) {
  Image a = read_image(a_bytes);
  const Image b = read_image(b_bytes);
  if (a.loss_scale != b.loss_scale || a.tail_size != b.tail_size ||
      a.sum_exponent != b.sum_exponent || a.sum_sq_exponent != b.sum_sq_exponent)
    throw AccumulatorStateError("accumulator state: merging images of different runs");
  a.n += b.n;
  a.bad += b.bad;
  a.positive += b.positive;
  a.max = std::max(a.max, b.max);
  a.sum_units += b.sum_units;
  a.sum_sq_units += b.sum_sq_units;
  a.far += b.far;
  a.wide_sum.merge(b.wide_sum);
  a.wide_sum_sq.merge(b.wide_sum_sq);
  if (a.weighted != b.weighted)
    throw AccumulatorStateError("accumulator state: merging weighted and unweighted images");
  if (a.weighted) {  // two sorted lists into one, in the tail's order
    std::vector<WeightedLoss> both(a.weighted_entries.size() + b.weighted_entries.size());
    std::merge(a.weighted_entries.begin(), a.weighted_entries.end(), b.weighted_entries.begin(),
               b.weighted_entries.end(), both.begin(), WeightedOrder{});
    a.weighted_entries = std::move(both);
  }
  if (!no_histogram(b)) {  // as LossHistogram::merge: the same bins, or none on one side
    if (no_histogram(a)) {
      a.bins = b.bins;
      a.counts = b.counts;
    } else if (a.bins.count != b.bins.count || a.bins.lo != b.bins.lo ||
               a.bins.width != b.bins.width) {
      throw AccumulatorStateError("accumulator state: merging histograms with different bins");
    } else {
      for (std::size_t k = 0; k < a.counts.size(); ++k) a.counts[k] += b.counts[k];
    }
    a.underflow += b.underflow;
    a.overflow += b.overflow;
  }
  // The k first of two sorted lists: one linear merge, no sorting.
  std::vector<TailEntry> tail(std::min<std::uint64_t>(
      {a.tail.size() + b.tail.size(), a.tail_size, std::uint64_t{max_tail}}));
  std::size_t i = 0, j = 0;
  for (TailEntry& e : tail)
    e = (j >= b.tail.size() || (i < a.tail.size() && !tail_before(b.tail[j], a.tail[i])))
            ? a.tail[i++]
            : b.tail[j++];
  a.tail = std::move(tail);
  return write_image(a);
}

}  // namespace chipshock
