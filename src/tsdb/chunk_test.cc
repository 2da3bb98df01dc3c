#include "tsdb/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "tsdb/coding.h"
#include "tsdb/iterators.h"
#include "tsdb/series_data.h"

namespace sremon::tsdb {
namespace {

using model::Sample;

std::vector<Sample> Drain(storage::SampleIterator* it) {
  std::vector<Sample> out;
  while (it->Next()) out.push_back(it->At());
  return out;
}

void ExpectSameBits(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); i++) {
    EXPECT_EQ(got[i].t, want[i].t) << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(got[i].v), std::bit_cast<uint64_t>(want[i].v)) << i << " " << want[i].v;
  }
}

// Random series with the awkward values: NaN, the staleness marker, infinities, -0, huge and tiny.
std::vector<Sample> RandomSamples(std::mt19937_64& rng, size_t n, bool decimal_only) {
  std::vector<Sample> out;
  int64_t t = static_cast<int64_t>(rng() % 4'000'000'000'000ULL) - 2'000'000'000'000LL;  // negative too
  double v = 100;
  std::uniform_int_distribution<int> kind(0, 12);
  for (size_t i = 0; i < n; i++) {
    switch (rng() % 5) {
      case 0: t += 15000; break;
      case 1: t += 1 + rng() % 3; break;
      case 2: t += rng() % 100'000'000; break;
      case 3: t += static_cast<int64_t>(rng() % (1ULL << 40)) + 1; break;
      default: t += 15000 + static_cast<int64_t>(rng() % 7) - 3;
    }
    if (decimal_only) {
      v += static_cast<double>(rng() % 1000) / 100.0;
      out.push_back({t, std::nearbyint(v * 100) / 100});
      continue;
    }
    switch (kind(rng)) {
      case 0: out.push_back({t, std::numeric_limits<double>::quiet_NaN()}); break;
      case 1: out.push_back({t, model::StaleNaN()}); break;
      case 2: out.push_back({t, std::numeric_limits<double>::infinity()}); break;
      case 3: out.push_back({t, -std::numeric_limits<double>::infinity()}); break;
      case 4: out.push_back({t, -0.0}); break;
      case 5: out.push_back({t, std::bit_cast<double>(rng())}); break;
      case 6: out.push_back({t, 1e300}); break;
      case 7: out.push_back({t, 5e-324}); break;
      default:
        v += static_cast<double>(rng() % 1000) / 7.0;
        out.push_back({t, v});
    }
  }
  return out;
}

// Every bit pattern (NaNs, -0, subnormals) comes back, through Next, Seek and AppendRange, as
// appended and again once sealed (never larger); a chunk of decimals shrinks to the series format.
TEST(XorChunkTest, RandomRoundTripOpenAndSealed) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; round++) {
    auto want = RandomSamples(rng, 1 + rng() % 300, round % 2 == 0);
    auto c = std::make_shared<XorChunk>();
    for (const auto& s : want) c->Append(s.t, s.v);
    EXPECT_EQ(c->mint(), want.front().t);
    EXPECT_EQ(c->maxt(), want.back().t);
    size_t xor_bytes = c->bytes().size();
    for (bool sealed : {false, true}) {
      if (sealed) c->Seal();
      ExpectSameBits(Drain(NewXorIterator(c).get()), want);
      int64_t mid = want[want.size() / 2].t;
      auto it = NewXorIterator(c);
      ASSERT_TRUE(it->Seek(mid));
      EXPECT_EQ(it->At().t, mid);
      std::vector<Sample> part;
      NewXorIterator(c)->AppendRange(mid, want.back().t, &part);
      EXPECT_EQ(part.size(), want.size() - want.size() / 2);
    }
    EXPECT_LE(c->bytes().size(), xor_bytes);
    auto direct = std::make_shared<XorChunk>(XorChunk::Sealed(want));
    ExpectSameBits(Drain(NewXorIterator(direct).get()), want);
    EXPECT_EQ(direct->count(), want.size());
    EXPECT_EQ(direct->maxt(), want.back().t);
  }
  XorChunk decimals;  // as parsed from text: the nearest double to a two-digit decimal
  for (int i = 0; i < 240; i++) decimals.Append(1700000000000LL + i * 15000LL, (2069269 + i * 1337 + i % 7) / 100.0);
  size_t xor_bytes = decimals.bytes().size();
  decimals.Seal();
  EXPECT_TRUE(decimals.sealed());
  EXPECT_LT(decimals.bytes().size() * 2, xor_bytes);
}

TEST(XorChunkTest, AppendAfterIterationCopies) {
  XorChunk c;
  c.Append(1000, 1);
  c.Append(2000, 2);
  auto snap = std::make_shared<XorChunk>(c);
  c.Append(3000, 3);
  auto it = NewXorIterator(snap);
  EXPECT_EQ(Drain(it.get()).size(), 2u);
}

TEST(SeriesDataTest, RandomRoundTrip) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; round++) {
    auto want = RandomSamples(rng, 1 + rng() % 500, round % 3 == 0);
    std::string data;
    EncodeSeriesData(want, &data);
    std::vector<Sample> got;
    ASSERT_TRUE(DecodeSeriesData(data, &got));
    ExpectSameBits(got, want);
  }
}

TEST(SeriesDataTest, DecimalValuesAreCompact) {
  std::vector<Sample> s;
  double v = 12345.67;
  for (int i = 0; i < 5760; i++) {
    v += 0.25;
    s.push_back({1700000000000LL + i * 15000LL, v});
  }
  std::string data;
  EncodeSeriesData(s, &data);
  EXPECT_LT(data.size(), 2.5 * s.size());  // before zstd: 1 byte of dod, 1 of value dod
  std::vector<Sample> got;
  ASSERT_TRUE(DecodeSeriesData(data, &got));
  ExpectSameBits(got, s);
}

TEST(SeriesDataTest, GarbageDoesNotCrash) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; i++) {
    std::string junk(rng() % 64, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    std::vector<Sample> out;
    DecodeSeriesData(junk, &out);  // any result, no crash, bounded
    EXPECT_LE(out.size(), 64u * 8);
  }
}

TEST(SeriesDataTest, Seek) {
  std::vector<Sample> s;
  for (int i = 0; i < 100; i++) s.push_back({i * 10LL, double(i)});
  std::string data;
  EncodeSeriesData(s, &data);
  auto it = NewSeriesDataIterator(data);
  ASSERT_TRUE(it->Seek(55));
  EXPECT_EQ(it->At().t, 60);
  ASSERT_TRUE(it->Seek(10));  // never backwards
  EXPECT_EQ(it->At().t, 60);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().t, 70);
  EXPECT_FALSE(it->Seek(10000));
}

// Long decimal series carry a table of restart points: seeking through it must land exactly where
// a linear scan does, for both value encodings (delta and delta-of-delta).
TEST(SeriesDataTest, SeekTableMatchesLinearScan) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 20; round++) {
    std::vector<Sample> s;
    int64_t t = 1'700'000'000'000LL;
    double v = 100;
    for (int i = 0; i < 3000; i++) {
      t += 15000 + static_cast<int64_t>(rng() % 5);
      v = round % 2 ? v + static_cast<double>(rng() % 500) / 100 : static_cast<double>(rng() % 100000) / 100;
      s.push_back({t, std::nearbyint(v * 100) / 100});
    }
    std::string data;
    std::string ts;
    EncodeTimestamps(s, &ts);
    EncodeSeriesData(s, ts, nullptr, &data);
    auto it = NewSeriesDataIterator(data);
    size_t pos = 0;
    while (true) {
      pos += rng() % 1200;
      if (pos >= s.size()) {
        EXPECT_FALSE(it->Seek(s.back().t + 1));
        break;
      }
      int64_t target = s[pos].t - static_cast<int64_t>(rng() % 3);
      ASSERT_TRUE(it->Seek(target));
      ASSERT_EQ(it->At().t, s[pos].t) << round << " " << pos;
      ASSERT_EQ(it->At().v, s[pos].v);
      if (rng() % 2 && pos + 1 < s.size()) {
        ASSERT_TRUE(it->Next());
        pos++;
        ASSERT_EQ(it->At().t, s[pos].t);
        ASSERT_EQ(it->At().v, s[pos].v);
      }
    }
  }
}

TEST(MergeIteratorTest, LaterIteratorWinsTies) {
  std::vector<std::unique_ptr<storage::SampleIterator>> its;
  its.push_back(NewVectorIterator({{1, 1}, {2, 1}, {5, 1}}));
  its.push_back(NewVectorIterator({{2, 2}, {3, 2}}));
  its.push_back(NewVectorIterator({{5, 3}, {6, 3}}));
  auto it = NewMergeIterator(std::move(its));
  auto got = Drain(it.get());
  std::vector<Sample> want = {{1, 1}, {2, 2}, {3, 2}, {5, 3}, {6, 3}};
  ExpectSameBits(got, want);
}

TEST(MergeIteratorTest, SeekThenNext) {
  std::vector<std::unique_ptr<storage::SampleIterator>> its;
  its.push_back(NewVectorIterator({{1, 1}, {4, 1}, {9, 1}}));
  its.push_back(NewVectorIterator({{2, 2}, {4, 2}, {7, 2}}));
  auto it = NewRangeIterator(NewMergeIterator(std::move(its)), 2, 8);
  ASSERT_TRUE(it->Seek(3));
  EXPECT_EQ(it->At().t, 4);
  EXPECT_EQ(it->At().v, 2);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().t, 7);
  EXPECT_FALSE(it->Next());  // 9 is past maxt
}

TEST(ChainIteratorTest, SeekAcrossChunks) {
  std::vector<std::shared_ptr<const XorChunk>> chunks;
  for (int c = 0; c < 5; c++) {
    auto ch = std::make_shared<XorChunk>();
    for (int i = 0; i < 10; i++) ch->Append(c * 100 + i * 10, c);
    chunks.push_back(ch);
  }
  auto it = NewChainIterator(chunks);
  ASSERT_TRUE(it->Seek(245));
  EXPECT_EQ(it->At().t, 250);
  ASSERT_TRUE(it->Seek(305));
  EXPECT_EQ(it->At().t, 310);
  int n = 1;
  while (it->Next()) n++;
  EXPECT_EQ(n, 19);
}

TEST(SortDedupTest, LastWins) {
  std::vector<Sample> s = {{5, 1}, {1, 1}, {5, 2}, {3, 1}, {1, 9}};
  SortDedupLastWins(&s);
  ExpectSameBits(s, {{1, 9}, {3, 1}, {5, 2}});
}

TEST(Crc32cTest, KnownValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros), 0x8A9136AAu);
}

}  // namespace
}  // namespace sremon::tsdb
