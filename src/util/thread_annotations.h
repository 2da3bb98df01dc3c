// Clang's thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html) and
// the mutex types they can check. libstdc++'s std::mutex carries no annotations, so clang cannot
// see what a std::lock_guard holds: code whose locking should be checked uses Mutex/SharedMutex
// and the scoped locks below instead (leveldb port/thread_annotations.h, abseil Mutex). With
// -Wthread-safety (the clang build, scripts/fuzz.sh) a field read without its GUARDED_BY lock, a
// call without its REQUIRES lock, or locks taken against ACQUIRED_AFTER order
// (-Wthread-safety-beta) are compile errors. Other compilers see plain mutexes and no attributes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define SREMON_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SREMON_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) SREMON_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY SREMON_THREAD_ANNOTATION(scoped_lockable)
// A field read or written only with the lock held (shared for reads of a SharedMutex).
#define GUARDED_BY(x) SREMON_THREAD_ANNOTATION(guarded_by(x))
// The pointee of a pointer field is guarded (the pointer itself is not).
#define PT_GUARDED_BY(x) SREMON_THREAD_ANNOTATION(pt_guarded_by(x))
// Lock order: this mutex is taken only after (before) the named ones, never the other way.
#define ACQUIRED_AFTER(...) SREMON_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) SREMON_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
// The caller holds the lock (exclusively / at least shared) when calling.
#define REQUIRES(...) SREMON_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) SREMON_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// The caller must not hold the lock (the function takes it).
#define EXCLUDES(...) SREMON_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) SREMON_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) SREMON_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) SREMON_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) SREMON_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define RETURN_CAPABILITY(x) SREMON_THREAD_ANNOTATION(lock_returned(x))
#define ASSERT_CAPABILITY(x) SREMON_THREAD_ANNOTATION(assert_capability(x))
// Opts a function out of the analysis; say why next to it.
#define NO_THREAD_SAFETY_ANALYSIS SREMON_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace sremon {

// std::mutex that clang can reason about. Locked through MutexLock.
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// std::shared_mutex that clang can reason about. Locked through WriterMutexLock (exclusive) and
// ReaderMutexLock (shared).
class CAPABILITY("mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  void LockShared() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

// Holds *mu for its scope (std::lock_guard).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Holds *mu exclusively for its scope (std::unique_lock of a shared_mutex).
class SCOPED_CAPABILITY WriterMutexLock {
 public:
  explicit WriterMutexLock(SharedMutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~WriterMutexLock() RELEASE() { mu_->Unlock(); }
  WriterMutexLock(const WriterMutexLock&) = delete;
  WriterMutexLock& operator=(const WriterMutexLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// Holds *mu shared for its scope (std::shared_lock).
class SCOPED_CAPABILITY ReaderMutexLock {
 public:
  explicit ReaderMutexLock(SharedMutex* mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_->LockShared(); }
  ~ReaderMutexLock() RELEASE() { mu_->UnlockShared(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// std::condition_variable for a Mutex. The mutex is passed to each wait (abseil CondVar) so the
// analysis can check that the caller holds it; a predicate that reads guarded fields says so
// with REQUIRES(mu) on the lambda.
class CondVar {
 public:
  // Waits until pred() is true or `timeout` passed; returns pred() (std::condition_variable::
  // wait_for). REQUIRES: *mu held; it is released while waiting and held again on return.
  template <class Rep, class Period, class Predicate>
  bool WaitFor(Mutex* mu, std::chrono::duration<Rep, Period> timeout, Predicate pred) REQUIRES(mu) {
    std::unique_lock<std::mutex> l(mu->mu_, std::adopt_lock);
    bool ok = cv_.wait_for(l, timeout, std::move(pred));
    l.release();  // the caller's MutexLock unlocks
    return ok;
  }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace sremon
