#include "host/day_values.hpp"

#include <stdexcept>
#include <string>

namespace chipshock {

std::vector<int> day_rows(const std::vector<const SimSpec*>& day_specs, int& rows) {
  std::vector<int> out(day_specs.size(), -1);
  rows = 0;
  for (std::size_t d = 0; d < day_specs.size(); ++d)
    if (day_specs[d] != nullptr) out[d] = rows++;
  return out;
}

std::vector<BookView> day_books(const char* who, const SimSpec& spec,
                                const std::vector<const SimSpec*>& day_specs, bool every_day) {
  if (spec.importance_sampling())
    throw std::invalid_argument(std::string(who) + ": importance sampling is not supported");
  if (day_specs.size() != static_cast<std::size_t>(spec.horizon_days()))
    throw std::invalid_argument(std::string(who) + ": one entry per day of the horizon");
  const BookView full = spec.book();
  std::vector<BookView> books(day_specs.size() + 1);
  for (std::size_t d = 0; d < day_specs.size(); ++d) {
    const SimSpec* cut = day_specs[d];
    if (cut == nullptr && !every_day) continue;
    if (cut == nullptr || cut->horizon_days() != static_cast<int>(d) + 1 ||
        cut->n_assets() != spec.n_assets())
      throw std::invalid_argument(std::string(who) + ": day " + std::to_string(d + 1) +
                                  "'s spec is not the run cut at that day");
    books[d] = cut->book();
    // its expiring options read the settlements of the full run's paths at the same indices
    const BookView& b = books[d];
    bool prefix = b.n_expiring <= full.n_expiring;
    for (int k = 0; prefix && k < b.n_expiring; ++k) {
      const ExpiryView &e = b.expiring[k], &f = full.expiring[k];
      prefix = e.asset == f.asset && e.day == f.day && e.kind == f.kind && e.strike == f.strike &&
               (e.boundary < 0) == (f.boundary < 0);
    }
    // the options the full run may exercise before day d + 1 read its settlements
    for (int k = 0; prefix && k < b.n_options; ++k) {
      const OptionView& o = b.options[k];
      if (o.settled_by < 0) continue;
      prefix = o.settled_by < full.n_expiring && full.expiring[o.settled_by].asset == o.asset &&
               full.expiring[o.settled_by].strike == o.strike &&
               full.expiring[o.settled_by].kind == o.kind;
    }
    if (!prefix)
      throw std::invalid_argument(std::string(who) + ": day " + std::to_string(d + 1) +
                                  "'s expiring options are not the run's first ones");
    books[d].full_run_marks = 1;
  }
  books.back() = full;
  return books;
}

std::vector<BookView> book_views(const char* who, const SimSpec& spec,
                                 const std::vector<const SimSpec*>& books, bool weighted) {
  if (spec.importance_sampling() && !weighted)
    throw std::invalid_argument(std::string(who) + ": not under importance sampling");
  std::vector<BookView> views;
  for (const SimSpec* b : books) {
    if (b->n_assets() != spec.n_assets() || b->total_steps() != spec.total_steps() ||
        b->importance_sampling() != spec.importance_sampling())
      throw std::invalid_argument(std::string(who) + ": a book's model differs from the run's");
    views.push_back(b->book());
    for (int i = 0; i < spec.n_assets(); ++i)  // the kernels take the spots from the first book
      if (views.back().spot0[i] != views.front().spot0[i])
        throw std::invalid_argument(std::string(who) + ": the books' spots differ");
  }
  return views;
}

}  // namespace chipshock
