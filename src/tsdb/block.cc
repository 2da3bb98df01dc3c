#include "tsdb/block.h"

#include <spdlog/spdlog.h>
#include <zstd.h>

#include <algorithm>

#include "tsdb/coding.h"
#include "tsdb/iterators.h"
#include "tsdb/series_data.h"

namespace sremon::tsdb {
namespace {

constexpr std::string_view kMagic = "SRMBLK01";
constexpr uint32_t kFooterMagic = 0x454d5253;  // "SRME"
constexpr size_t kFooterBytes = 8 + 8 + 8 + 4 + 4;
constexpr size_t kFrameRawBytes = 256 << 10;
constexpr uint64_t kFormatVersion = 1;
constexpr size_t kCacheFrames = 8;
constexpr size_t kMinSharedTsBytes = 16;        // a reference costs ~6 bytes
constexpr size_t kMaxSharedTsBytes = 64 << 20;  // memory bound of the writer's table
constexpr size_t kMaxCachedTs = 4096;

Status Corrupt(const std::string& path, std::string_view what) {
  return Status::Corruption(fmt::format("block {}: {}", path, what));
}

}  // namespace

std::string BlockFileName(uint64_t id) { return fmt::format("{:08d}.blk", id); }

bool ParseBlockFileName(const std::string& name, uint64_t* id) {
  if (name.size() < 5 || name.substr(name.size() - 4) != ".blk") return false;
  std::string digits = name.substr(0, name.size() - 4);
  if (digits.empty() || digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), ::isdigit))
    return false;
  *id = std::stoull(digits);
  return true;
}

BlockWriter::BlockWriter(int zstd_level) : level_(zstd_level), cctx_(ZSTD_createCCtx()) {
  body_.append(kMagic);
}

BlockWriter::~BlockWriter() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_)); }

void BlockWriter::Add(const model::Labels& labels, const std::vector<model::Sample>& samples) {
  Entry e{static_cast<uint32_t>(labels.size()),
          samples.front().t,
          samples.back().t,
          samples.size(),
          static_cast<uint32_t>(frames_.size()),
          static_cast<uint32_t>(raw_.size()),
          0};
  for (const auto& l : labels) {
    PutLengthPrefixed(&labels_, l.name);
    PutLengthPrefixed(&labels_, l.value);
  }
  std::string ts;
  EncodeTimestamps(samples, &ts);
  uint64_t h = std::hash<std::string_view>()(ts);
  TsRef ref;
  bool shared = false;
  if (ts.size() >= kMinSharedTsBytes) {
    auto it = shared_ts_.find(h);
    if (it != shared_ts_.end() && it->second.bytes == ts) {
      ref = TsRef{it->second.frame, it->second.offset, static_cast<uint32_t>(ts.size())};
      shared = true;
    }
  }
  size_t ts_off = EncodeSeriesData(samples, ts, shared ? &ref : nullptr, &raw_);
  if (!shared && ts.size() >= kMinSharedTsBytes && shared_ts_bytes_ < kMaxSharedTsBytes &&
      !shared_ts_.count(h)) {
    shared_ts_bytes_ += ts.size();
    shared_ts_.emplace(
        h, SharedTs{static_cast<uint32_t>(frames_.size()), static_cast<uint32_t>(ts_off), std::move(ts)});
  }
  e.len = static_cast<uint32_t>(raw_.size() - e.offset);
  series_.push_back(std::move(e));
  if (raw_.size() >= kFrameRawBytes) FlushFrame();
}

void BlockWriter::FlushFrame() {
  if (raw_.empty()) return;
  size_t bound = ZSTD_compressBound(raw_.size());
  size_t off = body_.size();
  body_.resize(off + bound);
  size_t n = ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(cctx_), body_.data() + off, bound, raw_.data(),
                               raw_.size(), level_);
  if (ZSTD_isError(n)) {  // cannot happen with a bound-sized buffer: a bug
    spdlog::critical("BUG: zstd compression failed: {}", ZSTD_getErrorName(n));
    std::abort();
  }
  body_.resize(off + n);
  frames_.push_back(Frame{off, n, raw_.size(), Crc32c(body_.data() + off, n)});
  raw_.clear();
}

Status BlockWriter::Finish(Env* env, const std::string& dir, BlockMeta* meta) {
  FlushFrame();
  meta->mint = storage::kMaxTime;
  meta->maxt = storage::kMinTime;
  meta->samples = 0;
  meta->series = series_.size();
  // Symbols: each distinct name and value once (most slots repeat a few names and values, so
  // dedupe by hash first and sort only the distinct strings), then each label slot's symbol id.
  std::unordered_map<std::string_view, uint32_t> index;
  std::vector<uint32_t> slot_sym;  // 2 per label, in series order: index of the distinct string
  std::vector<std::string_view> syms;
  Decoder d(labels_);
  for (const auto& e : series_) {
    for (uint32_t j = 0; j < 2 * e.nlab; j++) {
      std::string_view s;
      d.LengthPrefixed(&s);
      auto [it, added] = index.try_emplace(s, static_cast<uint32_t>(syms.size()));
      if (added) syms.push_back(s);
      slot_sym.push_back(it->second);
    }
    meta->mint = std::min(meta->mint, e.mint);
    meta->maxt = std::max(meta->maxt, e.maxt);
    meta->samples += e.count;
  }
  index = {};
  std::vector<uint32_t> order(syms.size());  // sorted position -> distinct string
  for (uint32_t i = 0; i < order.size(); i++) order[i] = i;
  std::sort(order.begin(), order.end(), [&syms](uint32_t a, uint32_t b) { return syms[a] < syms[b]; });
  std::vector<uint32_t> rank(syms.size());
  std::vector<std::string_view> sorted(syms.size());
  for (uint32_t r = 0; r < order.size(); r++) {
    rank[order[r]] = r;
    sorted[r] = syms[order[r]];
  }
  for (uint32_t& s : slot_sym) s = rank[s];
  syms = std::move(sorted);

  std::string idx;
  PutVarint64(&idx, kFormatVersion);
  PutVarint64(&idx, meta->seq);
  PutVarint64(&idx, meta->id);
  PutVarsint64(&idx, meta->partition);
  PutVarsint64(&idx, meta->mint);
  PutVarsint64(&idx, meta->maxt);
  PutVarint64(&idx, meta->samples);
  PutVarint64(&idx, meta->sources.size());
  for (uint64_t s : meta->sources) PutVarint64(&idx, s);
  PutVarint64(&idx, syms.size());
  for (auto s : syms) PutLengthPrefixed(&idx, s);
  PutVarint64(&idx, frames_.size());
  for (const auto& f : frames_) {
    PutVarint64(&idx, f.offset);
    PutVarint64(&idx, f.clen);
    PutVarint64(&idx, f.rawlen);
    PutFixed32(&idx, f.crc);
  }
  PutVarint64(&idx, series_.size());
  size_t slot = 0;
  for (const auto& e : series_) {
    PutVarint64(&idx, e.nlab);
    for (uint32_t j = 0; j < 2 * e.nlab; j++) PutVarint64(&idx, slot_sym[slot++]);
    PutVarsint64(&idx, e.mint);
    PutVarint64(&idx, static_cast<uint64_t>(e.maxt - e.mint));
    PutVarint64(&idx, e.count);
    PutVarint64(&idx, e.frame);
    PutVarint64(&idx, e.offset);
    PutVarint64(&idx, e.len);
  }
  size_t bound = ZSTD_compressBound(idx.size());
  size_t off = body_.size();
  body_.resize(off + bound);
  size_t n = ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(cctx_), body_.data() + off, bound, idx.data(),
                               idx.size(), level_);
  if (ZSTD_isError(n)) {
    spdlog::critical("BUG: zstd compression failed: {}", ZSTD_getErrorName(n));
    std::abort();
  }
  body_.resize(off + n);
  PutFixed64(&body_, off);
  PutFixed64(&body_, n);
  PutFixed64(&body_, idx.size());
  PutFixed32(&body_, Crc32c(body_.data() + off, n));
  PutFixed32(&body_, kFooterMagic);

  std::string path = dir + "/" + BlockFileName(meta->id);
  std::string tmp = path + ".tmp";
  auto f = env->NewWritableFile(tmp, /*truncate=*/true);
  if (!f.ok()) return f.status().WithContext("cannot write block");
  Status st = (*f)->Append(body_);
  if (st.ok()) st = (*f)->Sync();
  Status cst = (*f)->Close();
  if (st.ok()) st = cst;
  if (st.ok()) st = env->RenameFile(tmp, path);
  if (st.ok()) st = env->SyncDir(dir);
  if (!st.ok()) {
    // Best effort: DB::Open removes a leftover .tmp at the next start.
    (void)env->RemoveFile(tmp);
    return st.WithContext("cannot write block");
  }
  return Status::Ok();
}

Result<std::shared_ptr<Block>> Block::Open(Env* env, const std::string& path) {
  std::shared_ptr<Block> b(new Block());
  b->path_ = path;
  b->shared_path_ = std::make_shared<const std::string>(path);
  SREMON_RETURN_IF_ERROR(b->Load(env));
  return b;
}

Status Block::Load(Env* env) {
  auto f = env->NewRandomAccessFile(path_);
  if (!f.ok()) return f.status();
  file_ = std::move(*f);
  file_bytes_ = file_->Size();
  if (file_bytes_ < kMagic.size() + kFooterBytes) return Corrupt(path_, "file too short");
  std::string head, foot;
  SREMON_RETURN_IF_ERROR(file_->Read(0, kMagic.size(), &head));
  if (head != kMagic) return Corrupt(path_, "bad magic");
  SREMON_RETURN_IF_ERROR(file_->Read(file_bytes_ - kFooterBytes, kFooterBytes, &foot));
  uint64_t idx_off = DecodeFixed64(foot.data()), idx_clen = DecodeFixed64(foot.data() + 8),
           idx_raw = DecodeFixed64(foot.data() + 16);
  uint32_t idx_crc = DecodeFixed32(foot.data() + 24);
  if (DecodeFixed32(foot.data() + 28) != kFooterMagic) return Corrupt(path_, "bad footer magic");
  if (idx_off < kMagic.size() || idx_off + idx_clen != file_bytes_ - kFooterBytes || idx_raw > (1ULL << 32)) {
    return Corrupt(path_, "bad index location");
  }
  std::string cidx;
  SREMON_RETURN_IF_ERROR(file_->Read(idx_off, idx_clen, &cidx));
  if (Crc32c(cidx) != idx_crc) return Corrupt(path_, "index checksum mismatch");
  std::string idx(idx_raw, '\0');
  size_t n = ZSTD_decompress(idx.data(), idx.size(), cidx.data(), cidx.size());
  if (ZSTD_isError(n) || n != idx_raw) return Corrupt(path_, "index does not decompress");

  Decoder d(idx);
  uint64_t version, nsources, nsyms, nframes, nseries;
  d.Varint(&version);
  if (version != kFormatVersion) return Corrupt(path_, fmt::format("unknown format version {}", version));
  d.Varint(&meta_.seq);
  d.Varint(&meta_.id);
  d.Varsint(&meta_.partition);
  d.Varsint(&meta_.mint);
  d.Varsint(&meta_.maxt);
  d.Varint(&meta_.samples);
  d.Varint(&nsources);
  for (uint64_t i = 0; i < nsources && d.ok(); i++) {
    uint64_t s;
    d.Varint(&s);
    meta_.sources.push_back(s);
  }
  d.Varint(&nsyms);
  if (nsyms > d.remaining()) return Corrupt(path_, "bad symbol count");
  symbols_.reserve(nsyms);
  for (uint64_t i = 0; i < nsyms && d.ok(); i++) {
    std::string_view s;
    d.LengthPrefixed(&s);
    symbols_.emplace_back(s);
  }
  d.Varint(&nframes);
  if (nframes > d.remaining()) return Corrupt(path_, "bad frame count");
  for (uint64_t i = 0; i < nframes && d.ok(); i++) {
    FrameEntry fe;
    d.Varint(&fe.offset);
    d.Varint(&fe.clen);
    d.Varint(&fe.rawlen);
    d.Fixed32(&fe.crc);
    if (fe.offset < kMagic.size() || fe.offset + fe.clen > idx_off || fe.rawlen > (1ULL << 30)) {
      return Corrupt(path_, fmt::format("bad frame {} location", i));
    }
    frames_.push_back(fe);
  }
  d.Varint(&nseries);
  if (nseries > d.remaining()) return Corrupt(path_, "bad series count");
  series_.reserve(nseries);
  meta_.series = nseries;
  for (uint64_t i = 0; i < nseries && d.ok(); i++) {
    uint64_t nlab, span, count, frame, off, len;
    SeriesEntry e;
    d.Varint(&nlab);
    if (nlab > d.remaining()) return Corrupt(path_, "bad label count");
    e.lab_off = static_cast<uint32_t>(lab_syms_.size());
    e.nlab = static_cast<uint32_t>(nlab);
    for (uint64_t j = 0; j < nlab * 2 && d.ok(); j++) {
      uint64_t s;
      d.Varint(&s);
      if (s >= symbols_.size()) return Corrupt(path_, "bad symbol reference");
      lab_syms_.push_back(static_cast<uint32_t>(s));
    }
    d.Varsint(&e.mint);
    d.Varint(&span);
    d.Varint(&count);
    d.Varint(&frame);
    d.Varint(&off);
    d.Varint(&len);
    e.maxt = e.mint + static_cast<int64_t>(span);
    if (frame >= frames_.size() || off + len > frames_[frame].rawlen)
      return Corrupt(path_, "bad series location");
    e.frame = static_cast<uint32_t>(frame);
    e.offset = static_cast<uint32_t>(off);
    e.len = static_cast<uint32_t>(len);
    series_.push_back(e);
  }
  if (!d.ok()) return Corrupt(path_, "truncated index");
  // Verify every frame now: a damaged block is set aside at open rather than failing queries.
  std::string buf;
  for (size_t i = 0; i < frames_.size(); i++) {
    SREMON_RETURN_IF_ERROR(file_->Read(frames_[i].offset, frames_[i].clen, &buf));
    if (Crc32c(buf) != frames_[i].crc) return Corrupt(path_, fmt::format("frame {} checksum mismatch", i));
  }
  BuildPostings();
  return Status::Ok();
}

// Groups (name, value, id) triples by two stable counting-sort passes over symbol ids (value,
// then name): linear in the number of labels, whatever their order in the series list. Ids stay
// ascending within a group because the input is in id order and both passes are stable.
void Block::BuildPostings() {
  size_t n = lab_syms_.size() / 2;
  std::vector<uint32_t> order(n), tmp(n);  // label slot k = (lab_syms_[2k], lab_syms_[2k+1])
  std::vector<uint32_t> slot_id(n);
  for (uint32_t i = 0; i < series_.size(); i++) {
    for (uint32_t j = 0; j < series_[i].nlab; j++) slot_id[series_[i].lab_off / 2 + j] = i;
  }
  for (uint32_t k = 0; k < n; k++) tmp[k] = k;
  std::vector<uint32_t> count(symbols_.size() + 1);
  auto pass = [&](const std::vector<uint32_t>& in, std::vector<uint32_t>* out, int which) {
    std::fill(count.begin(), count.end(), 0);
    for (uint32_t k : in) count[lab_syms_[2 * k + which] + 1]++;
    for (size_t s = 1; s < count.size(); s++) count[s] += count[s - 1];
    for (uint32_t k : in) (*out)[count[lab_syms_[2 * k + which]]++] = k;
  };
  pass(tmp, &order, 1);
  pass(order, &tmp, 0);
  post_ids_.resize(n);
  NamePostings* np = nullptr;
  uint32_t cur_name = UINT32_MAX, cur_value = UINT32_MAX;
  for (uint32_t r = 0; r < n; r++) {
    uint32_t k = tmp[r], name = lab_syms_[2 * k], value = lab_syms_[2 * k + 1];
    if (name != cur_name) {
      if (np) np->starts.push_back(r);
      np = &postings_[name];
      cur_name = name;
      cur_value = UINT32_MAX;
    }
    if (value != cur_value) {
      np->values.push_back(value);
      np->starts.push_back(r);
      cur_value = value;
    }
    post_ids_[r] = slot_id[k];
  }
  if (np) np->starts.push_back(static_cast<uint32_t>(n));
}

model::Labels Block::SeriesLabels(uint32_t i) const {
  const auto& e = series_[i];
  std::vector<model::Label> ls;
  ls.reserve(e.nlab);
  for (uint32_t j = 0; j < e.nlab; j++) {
    ls.push_back({symbols_[lab_syms_[e.lab_off + 2 * j]], symbols_[lab_syms_[e.lab_off + 2 * j + 1]]});
  }
  return model::Labels(std::move(ls));
}

void Block::CollectLabelValues(const Postings& ids, std::string_view name,
                               std::vector<std::string>* out) const {
  int64_t n = Sym(name);
  if (n < 0) return;
  std::vector<uint32_t> syms;
  for (uint32_t i : ids) {
    const auto& e = series_[i];
    for (uint32_t j = 0; j < e.nlab; j++) {
      if (lab_syms_[e.lab_off + 2 * j] == n) syms.push_back(lab_syms_[e.lab_off + 2 * j + 1]);
    }
  }
  std::sort(syms.begin(), syms.end());
  syms.erase(std::unique(syms.begin(), syms.end()), syms.end());
  for (uint32_t s : syms) out->push_back(symbols_[s]);  // ascending: symbols are sorted
}

void Block::CollectLabelNames(const Postings& ids, std::set<std::string, std::less<>>* out) const {
  std::vector<uint32_t> syms;
  for (uint32_t i : ids) {
    const auto& e = series_[i];
    for (uint32_t j = 0; j < e.nlab; j++) syms.push_back(lab_syms_[e.lab_off + 2 * j]);
    if (syms.size() > 4096) {
      std::sort(syms.begin(), syms.end());
      syms.erase(std::unique(syms.begin(), syms.end()), syms.end());
    }
  }
  std::sort(syms.begin(), syms.end());
  syms.erase(std::unique(syms.begin(), syms.end()), syms.end());
  for (uint32_t s : syms) out->insert(symbols_[s]);
}

Result<std::shared_ptr<const std::string>> Block::ReadFrame(uint32_t f) const {
  {
    MutexLock l(&cache_mu_);
    for (const auto& [idx, data] : cache_) {
      if (idx == f) return data;
    }
  }
  const auto& fe = frames_[f];
  std::string c;
  SREMON_RETURN_IF_ERROR(file_->Read(fe.offset, fe.clen, &c));
  if (Crc32c(c) != fe.crc) return Corrupt(path_, fmt::format("frame {} checksum mismatch", f));
  auto raw = std::make_shared<std::string>(fe.rawlen, '\0');
  size_t n = ZSTD_decompress(raw->data(), raw->size(), c.data(), c.size());
  if (ZSTD_isError(n) || n != fe.rawlen)
    return Corrupt(path_, fmt::format("frame {} does not decompress", f));
  std::shared_ptr<const std::string> out = std::move(raw);
  MutexLock l(&cache_mu_);
  if (cache_.size() < kCacheFrames) {
    cache_.emplace_back(f, out);
  } else {
    cache_[cache_next_++ % kCacheFrames] = {f, out};
  }
  return out;
}

namespace {

// Keeps the decompressed frame alive while iterating one series inside it.
class BlockSeriesIterator final : public storage::SampleIterator {
 public:
  BlockSeriesIterator(std::shared_ptr<const std::string> frame, std::shared_ptr<const std::string> ts,
                      std::string_view data, std::shared_ptr<const std::string> path)
      : frame_(std::move(frame)),
        ts_(std::move(ts)),
        it_(NewSeriesDataIterator(data, &corrupt_, ts_ ? std::string_view(*ts_) : std::string_view())),
        path_(std::move(path)) {}
  bool Next() override { return Check(it_->Next()); }
  bool Seek(int64_t t) override { return Check(it_->Seek(t)); }
  model::Sample At() const override { return it_->At(); }
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<model::Sample>* out) override {
    size_t n = it_->AppendRange(mint, maxt, out);
    Check(true);
    return n;
  }

 private:
  bool Check(bool ok) {
    if (corrupt_ && !logged_) {
      logged_ = true;
      spdlog::error("block {}: series data does not decode; the rest of this series is skipped", *path_);
    }
    return ok;
  }
  std::shared_ptr<const std::string> frame_;
  std::shared_ptr<const std::string> ts_;
  bool corrupt_ = false;
  bool logged_ = false;
  std::unique_ptr<storage::SampleIterator> it_;
  std::shared_ptr<const std::string> path_;  // shared: a query opens an iterator per series
};

}  // namespace

std::unique_ptr<storage::SampleIterator> Block::SeriesIterator(uint32_t i) const {
  const auto& e = series_[i];
  auto frame = ReadFrame(e.frame);
  if (!frame.ok()) {
    spdlog::error("{}", frame.status().ToString());
    return NewVectorIterator({});
  }
  std::string_view data((*frame)->data() + e.offset, e.len);
  auto ts = SharedTimestamps(data);
  if (!ts.ok()) {
    spdlog::error("{}", ts.status().ToString());
    return NewVectorIterator({});
  }
  return std::make_unique<BlockSeriesIterator>(*frame, *ts, data, shared_path_);
}

Result<std::shared_ptr<const std::string>> Block::SharedTimestamps(std::string_view data) const {
  TsRef ref;
  if (!SeriesDataTsRef(data, &ref)) return std::shared_ptr<const std::string>();
  uint64_t key = (static_cast<uint64_t>(ref.frame) << 32) | ref.offset;
  {
    MutexLock l(&cache_mu_);
    auto it = ts_cache_.find(key);
    if (it != ts_cache_.end() && it->second->size() == ref.len) return it->second;
  }
  if (ref.frame >= frames_.size()) return Corrupt(path_, "shared timestamps in a missing frame");
  auto frame = ReadFrame(ref.frame);
  if (!frame.ok()) return frame.status();
  if (static_cast<uint64_t>(ref.offset) + ref.len > (*frame)->size())
    return Corrupt(path_, "bad shared timestamps location");
  auto ts = std::make_shared<const std::string>((*frame)->substr(ref.offset, ref.len));
  MutexLock l(&cache_mu_);
  if (ts_cache_.size() >= kMaxCachedTs) ts_cache_.clear();
  ts_cache_[key] = ts;
  return ts;
}

Status Block::ReadSeries(uint32_t i, std::vector<model::Sample>* out) const {
  const auto& e = series_[i];
  auto frame = ReadFrame(e.frame);
  if (!frame.ok()) return frame.status();
  std::string_view data((*frame)->data() + e.offset, e.len);
  auto ts = SharedTimestamps(data);
  if (!ts.ok()) return ts.status();
  if (!DecodeSeriesData(data, out, *ts ? std::string_view(**ts) : std::string_view())) {
    return Corrupt(path_, fmt::format("series {} does not decode", i));
  }
  return Status::Ok();
}

int64_t Block::Sym(std::string_view s) const {
  auto it = std::lower_bound(symbols_.begin(), symbols_.end(), s);
  if (it == symbols_.end() || *it != s) return -1;
  return it - symbols_.begin();
}

Postings Block::All() const {
  Postings p(series_.size());
  for (uint32_t i = 0; i < p.size(); i++) p[i] = i;
  return p;
}

const Block::NamePostings* Block::FindName(std::string_view name) const {
  int64_t n = Sym(name);
  if (n < 0) return nullptr;
  auto it = postings_.find(static_cast<uint32_t>(n));
  return it == postings_.end() ? nullptr : &it->second;
}

PostingsRef Block::Get(std::string_view name, std::string_view value) const {
  const NamePostings* np = FindName(name);
  int64_t v = Sym(value);
  if (!np || v < 0) return {};
  auto it = std::lower_bound(np->values.begin(), np->values.end(), static_cast<uint32_t>(v));
  if (it == np->values.end() || *it != v) return {};
  return IdsAt(*np, it - np->values.begin());
}

size_t Block::NumValues(std::string_view name) const {
  const NamePostings* np = FindName(name);
  return np ? np->values.size() : 0;
}

void Block::ForEachValue(std::string_view name, std::string_view from,
                         const std::function<bool(std::string_view, PostingsRef)>& fn) const {
  const NamePostings* np = FindName(name);
  if (!np) return;
  // Value symbols ascend as the strings do (the symbol table is sorted).
  size_t k = std::lower_bound(np->values.begin(), np->values.end(), from,
                              [this](uint32_t v, std::string_view f) { return symbols_[v] < f; }) -
             np->values.begin();
  for (; k < np->values.size(); k++) {
    if (!fn(symbols_[np->values[k]], IdsAt(*np, k))) return;
  }
}

}  // namespace sremon::tsdb
