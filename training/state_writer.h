// StateWriter: applies replay batches to the EventStore on a thread of its
// own, in submission order, so that writing batch N overlaps decoding batch
// N+1 instead of alternating with it (see stream/prefetching_poller.h for
// what the two threads gain together).
//
// Each job is still one EventStore::ApplyBatch (events + checkpoints in one
// WriteBatch), so crash safety is unchanged: a kill loses at most jobs not
// yet applied, and the checkpoints on disk never cover them.
//
// Threading: Submit/Finish from the owner thread only; while the writer
// runs, only it touches the store.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/status.h"
#include "state/event_store.h"
#include "stream/prefetching_poller.h"

namespace kappa::training {

// A batch to write, with the records its event views point into.
struct WriteJob {
  stream::PolledBatch source;
  state::ReplayBatch batch;
};

class StateWriter {
 public:
  explicit StateWriter(state::EventStore* store, size_t max_pending = 2);
  ~StateWriter();  // Finish(), ignoring its status
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  // Queues a job, waiting while `max_pending` are queued. Returns the first
  // write error so far (the job is then dropped).
  Status Submit(WriteJob job);
  // Applies everything queued, stops the thread and returns the first error.
  Status Finish();

 private:
  void Run();

  state::EventStore* store_;
  size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteJob> queue_;  // guarded by mu_
  Status error_;                // guarded by mu_
  bool finishing_ = false;      // guarded by mu_
  std::thread thread_;
};

}  // namespace kappa::training
