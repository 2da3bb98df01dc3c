// SampleIterator::AppendRange (the query path's batch read) against the reference Seek()/Next()
// path, on random data, for every iterator of the TSDB: Gorilla chunks and chains of them, block
// series data (both value encodings, with and without the seek table), merges with overlapping
// and duplicate timestamps, range clipping, and whole DBs with blocks, head and out-of-order data.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "testutil/testutil.h"
#include "tsdb/chunk.h"
#include "tsdb/db.h"
#include "tsdb/iterators.h"
#include "tsdb/series_data.h"

namespace sremon::tsdb {
namespace {

using model::Sample;
using storage::SampleIterator;

using MakeIt = std::function<std::unique_ptr<SampleIterator>()>;

// What AppendRange must equal: the default implementation of the seam (Seek, then Next/At).
std::vector<Sample> Reference(SampleIterator* it, int64_t mint, int64_t maxt) {
  std::vector<Sample> out;
  it->SampleIterator::AppendRange(mint, maxt, &out);
  return out;
}

void ExpectSameBits(const std::vector<Sample>& got, const std::vector<Sample>& want, const std::string& ctx) {
  ASSERT_EQ(got.size(), want.size()) << ctx;
  for (size_t i = 0; i < got.size(); i++) {
    ASSERT_EQ(got[i].t, want[i].t) << ctx << " at " << i;
    ASSERT_EQ(std::bit_cast<uint64_t>(got[i].v), std::bit_cast<uint64_t>(want[i].v)) << ctx << " at " << i;
  }
}

// Compares both paths over random windows around the data in [lo, hi] (including empty ones, ones
// ending or starting exactly on a sample, and ones past either end), appending after a non-empty
// prefix so that implementations must not assume an empty buffer.
void CheckWindows(std::mt19937_64& rng, const MakeIt& make, int64_t lo, int64_t hi, int rounds,
                  const std::vector<int64_t>& edges = {}) {
  auto pick = [&]() -> int64_t {
    if (!edges.empty() && rng() % 2) return edges[rng() % edges.size()] + static_cast<int64_t>(rng() % 3) - 1;
    int64_t span = hi - lo + 1;
    return lo - span / 10 + static_cast<int64_t>(rng() % static_cast<uint64_t>(span + span / 5 + 1));
  };
  for (int r = 0; r < rounds; r++) {
    int64_t a = pick(), b = pick();
    if (r == 0) a = storage::kMinTime, b = storage::kMaxTime;
    if (a > b && rng() % 4) std::swap(a, b);  // sometimes an empty (inverted) window
    auto ref_it = make();
    std::vector<Sample> want = Reference(ref_it.get(), a, b);
    auto it = make();
    std::vector<Sample> got = {{-1, 42}, {-2, 43}};
    size_t n = it->AppendRange(a, b, &got);
    ASSERT_EQ(n, got.size() - 2);
    ASSERT_EQ(got[0].t, -1);
    got.erase(got.begin(), got.begin() + 2);
    ExpectSameBits(got, want, "window [" + std::to_string(a) + ", " + std::to_string(b) + "]");
  }
}

// Strictly increasing timestamps with irregular gaps; values include NaN, the staleness marker,
// infinities and -0 unless `decimal` (then values the block encoder stores as scaled integers:
// with two decimals for odd n, integers for even n).
std::vector<Sample> RandomSeries(std::mt19937_64& rng, size_t n, int64_t t0, bool decimal) {
  std::vector<Sample> out;
  int64_t t = t0;
  double v = 1000;
  for (size_t i = 0; i < n; i++) {
    t += rng() % 8 == 0 ? 1 + static_cast<int64_t>(rng() % 100000) : 15000 + static_cast<int64_t>(rng() % 5) - 2;
    if (decimal) {
      // Every other series integer-valued (scale 0: no division when decoded).
      v += n % 2 ? static_cast<double>(rng() % 1000) / 100.0 : static_cast<double>(rng() % 1000);
      out.push_back({t, std::nearbyint(v * 100) / 100});
      continue;
    }
    switch (rng() % 12) {
      case 0: out.push_back({t, model::StaleNaN()}); break;
      case 1: out.push_back({t, std::numeric_limits<double>::quiet_NaN()}); break;
      case 2: out.push_back({t, std::numeric_limits<double>::infinity()}); break;
      case 3: out.push_back({t, -0.0}); break;
      case 4: out.push_back({t, std::bit_cast<double>(rng())}); break;
      default:
        v += static_cast<double>(rng() % 1000) / 7.0;
        out.push_back({t, v});
    }
  }
  return out;
}

TEST(BitReaderTest, MatchesBitByBitReference) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 200; round++) {
    std::string bytes(rng() % 40, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    BitReader r(bytes);
    size_t pos = 0, total = bytes.size() * 8;
    while (true) {
      int nbits = static_cast<int>(rng() % 65);
      uint64_t want = 0;
      bool fits = pos + nbits <= total;
      for (int k = 0; fits && k < nbits; k++) {
        size_t p = pos + k;
        want = (want << 1) | ((static_cast<uint8_t>(bytes[p / 8]) >> (7 - p % 8)) & 1);
      }
      uint64_t got = 0;
      ASSERT_EQ(r.ReadBits(nbits, &got), fits) << round << " " << pos << " " << nbits;
      if (!fits) {
        // Nothing consumed: what is left still reads.
        if (pos < total) {
          bool b;
          ASSERT_TRUE(r.ReadBit(&b));
          ASSERT_EQ(b, ((static_cast<uint8_t>(bytes[pos / 8]) >> (7 - pos % 8)) & 1) != 0);
        }
        break;
      }
      ASSERT_EQ(got, want) << round << " " << pos << " " << nbits;
      pos += nbits;
    }
  }
}

TEST(AppendRangeTest, XorChunk) {
  std::mt19937_64 rng(1);
  for (int round = 0; round < 100; round++) {
    auto s = RandomSeries(rng, 1 + rng() % 300, static_cast<int64_t>(rng() % 1000000) - 500000, round % 2);
    auto c = std::make_shared<XorChunk>();
    for (const auto& x : s) c->Append(x.t, x.v);
    CheckWindows(rng, [&] { return NewXorIterator(c); }, s.front().t, s.back().t, 20);
  }
}

// Windows starting and ending on chunk boundaries, and chunks skipped whole.
TEST(AppendRangeTest, ChainOfChunks) {
  std::mt19937_64 rng(2);
  for (int round = 0; round < 50; round++) {
    auto s = RandomSeries(rng, 1 + rng() % 2000, 1'700'000'000'000LL, round % 2);
    std::vector<std::shared_ptr<const XorChunk>> chunks;
    std::vector<int64_t> edges;
    std::shared_ptr<XorChunk> cur;
    size_t per = 1 + rng() % 240;
    for (size_t i = 0; i < s.size(); i++) {
      if (i % per == 0) {
        cur = std::make_shared<XorChunk>();
        chunks.push_back(cur);
        edges.push_back(s[i].t);
        if (i > 0) edges.push_back(s[i - 1].t);
      }
      cur->Append(s[i].t, s[i].v);
    }
    CheckWindows(rng, [&] { return NewChainIterator(chunks); }, s.front().t, s.back().t, 30, edges);
  }
}

// Block series data: XOR and decimal values; long decimal series carry a seek table (restart
// points every 512 samples), so windows starting mid-series jump through it.
TEST(AppendRangeTest, SeriesData) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 60; round++) {
    bool decimal = round % 3 != 0;
    auto s = RandomSeries(rng, 1 + rng() % (decimal ? 3000 : 600), -5'000'000 + static_cast<int64_t>(rng() % 1000),
                          decimal);
    std::string data;
    EncodeSeriesData(s, &data);
    std::vector<int64_t> edges;
    for (size_t k = 510; k < s.size(); k += 512) edges.push_back(s[k].t), edges.push_back(s[k + 1 < s.size() ? k + 1 : k].t);
    CheckWindows(rng, [&] { return NewSeriesDataIterator(data); }, s.front().t, s.back().t, 30, edges);
  }
}

TEST(AppendRangeTest, SeriesDataGarbageDoesNotCrash) {
  std::mt19937_64 rng(4);
  for (int i = 0; i < 2000; i++) {
    std::string junk(rng() % 64, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    bool corrupt = false;
    std::vector<Sample> out;
    NewSeriesDataIterator(junk, &corrupt)->AppendRange(storage::kMinTime, storage::kMaxTime, &out);
    EXPECT_LE(out.size(), 64u * 8);
  }
}

// Children overlapping in time, with duplicate timestamps across them (the later child wins),
// one child empty, children out of time order (an out-of-order run older than the chunks).
TEST(AppendRangeTest, MergeAndRange) {
  std::mt19937_64 rng(6);
  for (int round = 0; round < 200; round++) {
    size_t kids = 1 + rng() % 4;
    std::vector<std::vector<Sample>> data;
    for (size_t k = 0; k < kids; k++) {
      std::vector<Sample> s;
      if (rng() % 5) {
        int64_t t = static_cast<int64_t>(rng() % 50);
        for (size_t i = 0, n = rng() % 40; i < n; i++) {
          t += 1 + static_cast<int64_t>(rng() % 4);
          s.push_back({t, rng() % 7 == 0 ? model::StaleNaN() : static_cast<double>(k * 1000 + i)});
        }
      }
      data.push_back(std::move(s));
    }
    int64_t rmin = static_cast<int64_t>(rng() % 60), rmax = rmin + static_cast<int64_t>(rng() % 150);
    bool ranged = rng() % 2;
    auto make = [&]() {
      std::vector<std::unique_ptr<SampleIterator>> its;
      for (const auto& s : data) its.push_back(NewVectorIterator(s));
      auto it = NewMergeIterator(std::move(its));
      return ranged ? NewRangeIterator(std::move(it), rmin, rmax) : std::move(it);
    };
    CheckWindows(rng, make, 0, 250, 15);
  }
}

// A whole DB: series data in several blocks (small partitions, flushes between batches), in the
// head, and out of order (older timestamps, rewrites of existing ones, landing in the head's
// out-of-order runs and, after flushes, in overlapping blocks), with staleness markers.
TEST(AppendRangeTest, DBBlocksHeadAndOutOfOrder) {
  testutil::TempDir tmp;
  Options o;
  o.dir = tmp.path();
  o.background = false;
  o.partition_ms = 3600 * 1000;
  static int64_t now = 0;
  const int64_t base = 1'700'000'000'000LL;
  now = base + 48 * 3600 * 1000LL;
  o.now_ms = [] { return now; };
  o.retention_ms = 365LL * 24 * 3600 * 1000;
  auto opened = DB::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto& db = *opened;
  std::mt19937_64 rng(8);
  const int kSeries = 6;
  auto labels = [](int i) {
    return model::Labels{{"__name__", "m"}, {"i", std::to_string(i)}};
  };
  int64_t t = base;
  for (int batch = 0; batch < 6; batch++) {
    auto app = db->NewAppender();
    for (int k = 0; k < 400; k++) {
      t += 15000;
      for (int i = 0; i < kSeries; i++) {
        double v = rng() % 20 == 0 ? model::StaleNaN() : static_cast<double>(rng() % 100000) / (i % 2 ? 100 : 7);
        ASSERT_TRUE(app->Append(labels(i), t, v).ok());
        if (rng() % 10 == 0) {  // out of order: an older timestamp, sometimes an existing one
          int64_t back = t - static_cast<int64_t>(rng() % 2000000);
          if (rng() % 2) back -= back % 15000;
          ASSERT_TRUE(app->Append(labels(i), std::max(back, base + 1), -static_cast<double>(k)).ok());
        }
      }
    }
    ASSERT_TRUE(app->Commit().ok());
    if (batch % 3 != 2) ASSERT_TRUE(db->ForceFlush().ok());
    if (batch == 3) ASSERT_TRUE(db->ForceMerge().ok());
  }
  ASSERT_GT(db->GetStats().blocks, 1u);
  ASSERT_GT(db->GetStats().samples_in_head, 0u);
  for (int round = 0; round < 30; round++) {
    int64_t qmin = base + static_cast<int64_t>(rng() % static_cast<uint64_t>(t - base + 1));
    int64_t qmax = qmin + static_cast<int64_t>(rng() % static_cast<uint64_t>(t - base + 1));
    if (round == 0) qmin = storage::kMinTime, qmax = storage::kMaxTime;
    auto q = db->NewQuerier(qmin, qmax);
    ASSERT_TRUE(q.ok());
    auto set = (*q)->Select(false, {}, {*model::Matcher::Make(model::MatchType::kEqual, "__name__", "m")});
    int n = 0;
    while (set->Next()) {
      n++;
      const storage::Series& s = set->At();
      CheckWindows(rng, [&] { return s.Iterator(); }, std::max(qmin, base), std::min(qmax, t), 4);
    }
    if (round == 0) EXPECT_EQ(n, kSeries);
  }
}

}  // namespace
}  // namespace sremon::tsdb
