// The compiled half of the Python module (`chipshock._chipshock`): thin bindings over the
// application layer that the command line uses too (host/app: planning and running a job,
// host/cli's calibrate and backtest jobs), so that a run from Python is the CLI's run. The
// pure-Python package (python/chipshock/) turns keyword arguments into the option maps below
// and wraps what comes back.
//
// A run goes on a worker thread while the calling thread, holding the GIL only between waits,
// delivers progress to the caller's callback and checks for signals every 50 ms: Ctrl-C
// (KeyboardInterrupt) or an exception from the callback cancels the run (host/run_cancel.hpp),
// which stops within milliseconds and writes nothing.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "host/app/backend_plan.hpp"
#include "host/app/run_job.hpp"
#include "host/app/run_options.hpp"
#include "host/app/run_plan.hpp"
#include "host/cli/backtest_command.hpp"
#include "host/cli/calibrate_command.hpp"
#include "host/files/file_set.hpp"
#include "host/input_error.hpp"
#include "host/parallel/mpi_world.hpp"
#include "host/report/report_files.hpp"
#include "host/run_cancel.hpp"
#include "host/run_phases.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_library.hpp"

#ifndef CHIPSHOCK_VERSION
#define CHIPSHOCK_VERSION "unknown"
#endif

namespace py = pybind11;
using namespace chipshock;

namespace {

// One job at a time in a process: the cancel flag and the phase timers are the process's.
std::mutex& job_lock() {
  static std::mutex m;
  return m;
}

// --- errors: chipshock.InputError and chipshock.GpuUnavailable (chipshock/_errors.py) ---

[[noreturn]] void raise_input_error(const InputError& e) {
  const py::object cls = py::module_::import("chipshock._errors").attr("InputError");
  const py::object err = cls(e.message(), e.file(), e.line(), e.field(), e.hint(), e.what());
  PyErr_SetObject(cls.ptr(), err.ptr());
  throw py::error_already_set();
}

[[noreturn]] void raise_gpu_unavailable(const std::string& why) {
  const py::object cls = py::module_::import("chipshock._errors").attr("GpuUnavailable");
  PyErr_SetObject(cls.ptr(), py::str(why).ptr());
  throw py::error_already_set();
}

// Rethrows a job's exception as the Python one.
[[noreturn]] void rethrow_job_error(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const InputError& e) {
    raise_input_error(e);
  } catch (const GpuUnavailable& e) {
    raise_gpu_unavailable(e.what());
  } catch (const RunCancelled& e) {
    throw py::value_error(e.what());  // only when cancelled without a Python exception
  }
}

// --- running a job off the calling thread ---

struct ProgressNote {
  std::string what;
  std::uint64_t done = 0, total = 0;
};

// Runs job() on a worker thread; the calling thread delivers progress notes to `progress`
// (may be None) and checks for signals until the job ends. A Python exception (Ctrl-C, or one
// raised by the callback) cancels the job and propagates once the worker has stopped.
template <class Job>
void run_off_thread(const Job& job, const py::object& progress,
                    std::function<void(const ProgressNote&)>& report) {
  std::unique_lock<std::mutex> exclusive(job_lock(), std::defer_lock);
  {
    py::gil_scoped_release released;
    exclusive.lock();
  }
  clear_run_cancel();
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::optional<ProgressNote> pending;  // the latest note not yet delivered
  std::exception_ptr error;
  report = [&](const ProgressNote& note) {
    const std::lock_guard<std::mutex> lock(m);
    pending = note;
    cv.notify_all();
  };
  std::thread worker([&] {
    try {
      job();
    } catch (...) {
      error = std::current_exception();
    }
    const std::lock_guard<std::mutex> lock(m);
    done = true;
    cv.notify_all();
  });
  const auto stop = [&] {
    request_run_cancel();
    py::gil_scoped_release released;
    worker.join();
  };
  try {
    for (;;) {
      std::optional<ProgressNote> note;
      bool finished = false;
      {
        py::gil_scoped_release released;
        std::unique_lock<std::mutex> lock(m);
        cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return done || pending; });
        finished = done;
        note.swap(pending);
      }
      if (note && !progress.is_none()) progress(note->what, note->done, note->total);
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (finished) break;
    }
  } catch (...) {
    stop();
    clear_run_cancel();
    throw;
  }
  worker.join();
  clear_run_cancel();
  if (error) rethrow_job_error(error);
}

// --- chipshock.run ---

template <class T>
T get(const py::dict& d, const char* key, T fallback) {
  return d.contains(key) && !d[key].is_none() ? d[key].cast<T>() : fallback;
}

RunOptions run_options(const py::dict& d) {
  RunOptions o;
  o.market = get<std::string>(d, "market", "");
  o.portfolio = get<std::string>(d, "portfolio", "");
  o.more_portfolios = get<std::vector<std::string>>(d, "more_portfolios", {});
  o.scenarios = get<std::vector<std::string>>(d, "scenarios", {});
  o.paths = get<std::string>(d, "paths", o.paths);
  o.horizon_days = get<int>(d, "horizon", o.horizon_days);
  o.steps_per_day = get<int>(d, "steps_per_day", o.steps_per_day);
  o.seed = get<std::string>(d, "seed", o.seed);
  o.confidence = get<std::string>(d, "confidence", o.confidence);
  const std::string backend = get<std::string>(d, "backend", "auto");
  if (backend == "auto") {
    o.backend = BackendChoice::kAuto;
  } else if (backend == "cpu") {
    o.backend = BackendChoice::kCpu;
  } else if (backend == "gpu") {
    o.backend = BackendChoice::kGpu;
  } else if (backend == "both") {
    o.backend = BackendChoice::kBoth;
  } else {
    throw InputError("", 0, "backend", "'" + backend + "': expected auto, cpu, gpu or both");
  }
  o.threads = get<int>(d, "threads", 0);
  const std::string rng = get<std::string>(d, "rng", "philox");
  if (rng == "philox")
    o.rng = RngKind::kPhilox;
  else if (rng == "sobol")
    o.rng = RngKind::kSobol;
  else
    throw InputError("", 0, "rng", "'" + rng + "': expected philox or sobol");
  o.antithetic = get<bool>(d, "antithetic", false);
  o.importance_sampling = get<bool>(d, "importance_sampling", false);
  o.no_components = !get<bool>(d, "components", true);
  o.stop_loss = get<std::string>(d, "stop_loss", "");
  o.what_if = get<std::string>(d, "what_if", "");
  o.target_rel_error = get<double>(d, "target_rel_error", 0.0);
  o.repair_correlation = get<std::string>(d, "repair_correlation", "");
  o.stressed = get<std::string>(d, "stressed", "");
  o.iv_file = get<std::string>(d, "iv_file", "");
  o.max_paths = get<std::string>(d, "max_paths", o.max_paths);
  o.out_dir = get<std::string>(d, "out", "");
  o.texts = get<std::map<std::string, std::string>>(d, "texts", {});
  o.quiet = true;
  return o;
}

// A finished run: its report (for Result.write) and report.json's text.
struct RunHandle {
  RunOutcome outcome;
  std::vector<std::string> notices;

  // The CLI's report files for this run, written to `dir` as one set (host/files/file_set.hpp).
  void write(const std::string& dir) const {
    try {
      prepare_set_folder(dir, report_file_names(), "dir");
      const std::vector<ReportFile> files = render_report_files(outcome.report);
      py::gil_scoped_release released;
      (void)write_report_files(dir, outcome.json, files);
    } catch (const InputError& e) {
      raise_input_error(e);
    }
  }
};

py::tuple run(const py::dict& options, bool keep_losses, const py::object& progress) {
  RunOptions o;
  try {
    o = run_options(options);
  } catch (const InputError& e) {
    raise_input_error(e);
  }
  auto handle = std::make_unique<RunHandle>();
  auto losses = std::make_unique<std::vector<double>>();
  std::function<void(const ProgressNote&)> report;
  run_off_thread(
      [&] {
        const auto start = std::chrono::steady_clock::now();
        reset_phase_seconds();
        const MpiWorld one_process;
        PreparedRun p;
        prepare_run(o, one_process, p);
        handle->notices = p.notices;
        RunFeedback feedback;
        feedback.progress = [&](const std::string& what, std::uint64_t done, std::uint64_t total,
                                const char*) { report({what, done, total}); };
        feedback.notice = [&](const std::string& line) { handle->notices.push_back(line); };
        if (keep_losses) {
          losses->reserve(static_cast<std::size_t>(p.settings.paths));
          feedback.baseline_losses = [&](std::uint64_t first, std::uint64_t count) {
            if (losses->size() < first + count) losses->resize(static_cast<std::size_t>(first + count));
            return losses->data() + first;
          };
        }
        RunReport r = execute_run(o, one_process, p, true, feedback);
        handle->outcome = complete_reports(o, std::move(r), start, false);
      },
      progress, report);
  py::object kept = py::none();
  if (keep_losses) {
    // The vector's memory, owned by the array: no copy.
    std::vector<double>* v = losses.release();
    const py::capsule owner(v, [](void* p) { delete static_cast<std::vector<double>*>(p); });
    kept = py::array_t<double>({static_cast<py::ssize_t>(v->size())}, {sizeof(double)}, v->data(),
                               owner);
  }
  const std::string json = handle->outcome.json;
  return py::make_tuple(json, kept, py::cast(handle.release(), py::return_value_policy::take_ownership));
}

// --- chipshock.calibrate, scenarios, backtest ---

py::tuple calibrate(const py::dict& d) {
  CalibrateOptions o;
  o.prices = get<std::string>(d, "prices", "");
  o.tickers = get<std::string>(d, "tickers", "");
  o.as_of = get<std::string>(d, "as_of", "");
  o.window = get<int>(d, "window", o.window);
  o.vol = get<std::string>(d, "vol", o.vol);
  if (d.contains("lambda") && !d["lambda"].is_none()) {
    o.lambda = d["lambda"].cast<double>();
    o.lambda_given = true;
  }
  o.correlation = get<std::string>(d, "correlation", o.correlation);
  o.dof = get<std::string>(d, "dof", o.dof);
  o.implied_vol = get<std::string>(d, "implied_vol", o.implied_vol);
  o.rate = get<double>(d, "rate", o.rate);
  o.currency = get<std::string>(d, "currency", o.currency);
  o.factor_prices = get<std::string>(d, "factor_prices", "");
  o.sectors = get<std::string>(d, "sectors", "");
  o.stressed = get<bool>(d, "stressed", false);
  o.portfolio = get<std::string>(d, "portfolio", "");
  o.stressed_window = get<int>(d, "stressed_window", o.stressed_window);
  o.quiet = true;
  o.text_only = true;
  CalibrateOutcome out;
  std::function<void(const ProgressNote&)> unused;
  run_off_thread([&] { out = calibrate_job(o); }, py::none(), unused);
  return py::make_tuple(out.text, out.calibration.notes);
}

py::list scenarios() {
  py::list out;
  for (const std::string& f : builtin_scenario_files()) {
    try {
      const Scenario s = load_scenario(f);
      py::dict row;
      row["name"] = std::filesystem::path(f).stem().string();
      row["title"] = s.name;
      row["description"] = s.description;
      row["source"] = s.source;
      row["calibration_date"] = s.calibration_date;
      row["file"] = f;
      out.append(row);
    } catch (const InputError& e) {
      raise_input_error(e);
    }
  }
  return out;
}

std::string backtest(const py::dict& d) {
  BacktestOptions o;
  o.prices = get<std::string>(d, "prices", "");
  o.portfolio = get<std::string>(d, "portfolio", "");
  o.market = get<std::string>(d, "market", "");
  o.from = get<std::string>(d, "start", "");
  o.to = get<std::string>(d, "end", "");
  o.window = get<int>(d, "window", o.window);
  o.confidence = get<std::string>(d, "confidence", o.confidence);
  o.paths = get<std::string>(d, "paths", o.paths);
  o.seed = get<std::string>(d, "seed", o.seed);
  o.vol = get<std::string>(d, "vol", o.vol);
  o.dof = get<std::string>(d, "dof", o.dof);
  o.rate = get<double>(d, "rate", o.rate);
  o.threads = get<int>(d, "threads", 0);
  o.out_dir = get<std::string>(d, "out", "");
  o.quiet = true;
  std::string json;
  std::function<void(const ProgressNote&)> unused;
  run_off_thread([&] { json = backtest_job(o).json; }, py::none(), unused);
  return json;
}

}  // namespace

PYBIND11_MODULE(_chipshock, m) {
  m.doc() = "chipshock's compiled core; use the chipshock package, not this module";
  m.attr("__version__") = CHIPSHOCK_VERSION;
  py::class_<RunHandle>(m, "_RunHandle")
      .def("write", &RunHandle::write, py::arg("dir"))
      .def_property_readonly("notices", [](const RunHandle& h) { return h.notices; });
  m.def("run", &run, py::arg("options"), py::arg("keep_losses"), py::arg("progress"));
  m.def("calibrate", &calibrate, py::arg("options"));
  m.def("scenarios", &scenarios);
  m.def("backtest", &backtest, py::arg("options"));
  m.def("set_data_root_fallback", &set_data_root_fallback, py::arg("dir"));
  m.def("data_root", &data_root);
  m.def("gpu_check", [](int n_assets) {
    const GpuCheck c = check_gpu(n_assets, RunSettings{});
    return py::make_tuple(c.usable, c.usable ? c.name : c.reason);
  });
}
