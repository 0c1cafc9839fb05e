// Flow-log object bodies (gzip JSON documents) straight into Arrow arrays, in one call per chunk.
//
// Why native: a cold scan's CPU is mostly decoding, and DuckDB's json_transform spends most of its time not in
// the parse but filling its own vectors and handing them to Arrow (docs/benchmarks.md). Here libdeflate inflates each body
// into a padded buffer, simdjson parses it, and the known structure is written into Arrow buffers directly.
//
// This decoder only takes what it reads exactly: a body that is one complete gzip member (or plain text)
// holding one JSON object whose known fields have exactly their types (a string for a string field, an
// integer in range for an integer field, true/false for a boolean, null anywhere). Anything else (several
// gzip members, a number where a string belongs, a duplicated field, a record that is not an object, text
// that is not JSON) is *declined*: its row is NULL here and the caller reads it with the reference reader
// (DuckDB's json_transform), so every odd value keeps the one meaning that reader gives it.
//
// The structure comes from the caller (the field names and kinds of flowlogs/schema.py): a document is an
// object of scalar fields plus one list of record objects of scalar fields. The result is an Arrow struct
// array, one row per body, exported through Arrow's C data interface; the caller imports it with its type.

#include <libdeflate.h>
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
// Arrow's C data interface (arrow.apache.org/docs/format/CDataInterface.html).
struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  ArrowArray** children;
  ArrowArray* dictionary;
  void (*release)(ArrowArray*);
  void* private_data;
};
}

namespace {

enum Kind : int8_t { kString = 0, kInt32 = 1, kInt64 = 2, kBool = 3 };

// The largest ratio deflate reaches is about 1032:1, so a gzip trailer claiming more is damaged.
constexpr uint64_t kMaxInflateRatio = 1032;

// Larger bodies are left to the caller: a chunk's strings are addressed with 32-bit offsets.
constexpr int64_t kLargestBody = INT32_MAX;

// Bits in Arrow's order (the first in the lowest bit of the first byte), appended one at a time: a validity
// bitmap or a boolean column's values. Bits taken back read as unset when others are appended.
class Bitmap {
 public:
  void append(bool value) {
    if (size_ % 8 == 0) bytes_.push_back(0);
    if (value) bytes_.back() |= static_cast<uint8_t>(1u << (size_ % 8));
    ++size_;
  }
  bool get(int64_t index) const { return (bytes_[static_cast<size_t>(index / 8)] >> (index % 8)) & 1; }
  void truncate(int64_t size) {
    size_ = size;
    bytes_.resize(static_cast<size_t>((size + 7) / 8));
    if (size % 8 != 0) bytes_.back() &= static_cast<uint8_t>((1u << (size % 8)) - 1);
  }
  int64_t size() const { return size_; }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
  int64_t size_ = 0;
};

// One column being filled: a validity bitmap and the values (fixed-width bytes, a bitmap of booleans, or
// string offsets and characters). Rows are appended in order; a declined document's rows are taken back with
// truncate().
class Column {
 public:
  explicit Column(Kind kind) : kind_(kind) {
    if (kind_ == kString) offsets_.push_back(0);
  }

  Kind kind() const { return kind_; }
  int64_t rows() const { return validity_.size(); }
  size_t characters() const { return characters_.size(); }

  void append_null() {
    switch (kind_) {
      case kString: offsets_.push_back(static_cast<int32_t>(characters_.size())); break;
      case kInt32: push_fixed<int32_t>(0); break;
      case kInt64: push_fixed<int64_t>(0); break;
      case kBool: booleans_.append(false); break;
    }
    validity_.append(false);
    ++nulls_;
  }

  // False when the value does not have exactly this column's type (the document is then declined).
  bool append(simdjson::dom::element value) {
    switch (value.type()) {
      case simdjson::dom::element_type::NULL_VALUE:
        append_null();
        return true;
      case simdjson::dom::element_type::STRING: {
        if (kind_ != kString) return false;
        std::string_view text = value.get_string().value_unsafe();
        if (characters_.size() + text.size() > INT32_MAX) return false;
        characters_.insert(characters_.end(), text.begin(), text.end());
        offsets_.push_back(static_cast<int32_t>(characters_.size()));
        break;
      }
      case simdjson::dom::element_type::INT64: {
        int64_t number = value.get_int64().value_unsafe();
        if (kind_ == kInt64) {
          push_fixed<int64_t>(number);
        } else if (kind_ == kInt32 && number >= INT32_MIN && number <= INT32_MAX) {
          push_fixed<int32_t>(static_cast<int32_t>(number));
        } else {
          return false;
        }
        break;
      }
      case simdjson::dom::element_type::BOOL:
        if (kind_ != kBool) return false;
        booleans_.append(value.get_bool().value_unsafe());
        break;
      default:
        return false;
    }
    validity_.append(true);
    return true;
  }

  void truncate(int64_t rows, size_t characters) {
    for (int64_t row = rows; row < validity_.size(); ++row) {
      if (!validity_.get(row)) --nulls_;
    }
    validity_.truncate(rows);
    switch (kind_) {
      case kString:
        offsets_.resize(static_cast<size_t>(rows) + 1);
        characters_.resize(characters);
        break;
      case kInt32: fixed_.resize(static_cast<size_t>(rows) * 4); break;
      case kInt64: fixed_.resize(static_cast<size_t>(rows) * 8); break;
      case kBool: booleans_.truncate(rows); break;
    }
  }

  int64_t nulls() const { return nulls_; }
  Bitmap& validity() { return validity_; }
  std::vector<uint8_t> take_values() { return kind_ == kBool ? booleans_.take() : std::move(fixed_); }
  std::vector<int32_t> take_offsets() { return std::move(offsets_); }
  std::vector<char> take_characters() { return std::move(characters_); }

 private:
  template <typename T>
  void push_fixed(T number) {
    size_t at = fixed_.size();
    fixed_.resize(at + sizeof(T));
    std::memcpy(fixed_.data() + at, &number, sizeof(T));
  }

  Kind kind_;
  int64_t nulls_ = 0;
  Bitmap validity_;
  Bitmap booleans_;
  std::vector<uint8_t> fixed_;
  std::vector<int32_t> offsets_;
  std::vector<char> characters_;
};

// A set of named scalar fields (a document's, or a record's) and how a JSON object's keys find them.
struct Fields {
  std::vector<std::string> names;
  std::vector<Kind> kinds;

  // Documents of one producer write their fields in one order, so the field after the last one found is
  // tried first and the search over all names is the exception.
  int find(std::string_view key, int after) const {
    int count = static_cast<int>(names.size());
    int next = after + 1 < count ? after + 1 : 0;
    if (names[static_cast<size_t>(next)] == key) return next;
    for (int index = 0; index < count; ++index) {
      if (names[static_cast<size_t>(index)] == key) return index;
    }
    return -1;
  }
};

struct Decoder {
  Fields header;
  std::string list_name;
  Fields record;
};

// What one exported array owns: its buffers (moving a vector keeps its data where it is, so the pointers
// handed out stay valid) and its children.
struct Owned {
  std::vector<std::vector<uint8_t>> bytes;
  std::vector<std::vector<int32_t>> offsets;
  std::vector<std::vector<char>> characters;
  std::vector<const void*> buffers;
  std::vector<ArrowArray*> child_pointers;
  std::vector<std::unique_ptr<ArrowArray>> children;
};

void release_array(ArrowArray* array) {
  auto* owned = static_cast<Owned*>(array->private_data);
  for (ArrowArray* child : owned->child_pointers) {
    if (child->release != nullptr) child->release(child);
  }
  delete owned;
  array->release = nullptr;
}

// An exported array with `buffers` (nullptr for an absent one) and `children`, owning what `owned` holds.
void export_array(ArrowArray* out, int64_t length, int64_t nulls, std::unique_ptr<Owned> owned,
                  std::vector<const void*> buffers, std::vector<std::unique_ptr<ArrowArray>> children) {
  owned->buffers = std::move(buffers);
  owned->children = std::move(children);
  for (auto& child : owned->children) owned->child_pointers.push_back(child.get());
  out->length = length;
  out->null_count = nulls;
  out->offset = 0;
  out->n_buffers = static_cast<int64_t>(owned->buffers.size());
  out->n_children = static_cast<int64_t>(owned->child_pointers.size());
  out->buffers = owned->buffers.data();
  out->children = owned->child_pointers.empty() ? nullptr : owned->child_pointers.data();
  out->dictionary = nullptr;
  out->release = release_array;
  out->private_data = owned.release();
}

// A validity bitmap as an exported buffer, owned by `owned`; absent (nullptr) when no row is null.
const void* validity_buffer(Owned& owned, Bitmap& validity, int64_t nulls) {
  std::vector<uint8_t> bits = validity.take();
  if (nulls == 0) return nullptr;
  owned.bytes.push_back(std::move(bits));
  return owned.bytes.back().data();
}

std::unique_ptr<ArrowArray> exported_column(Column& column) {
  auto owned = std::make_unique<Owned>();
  std::vector<const void*> buffers{validity_buffer(*owned, column.validity(), column.nulls())};
  if (column.kind() == kString) {
    owned->offsets.push_back(column.take_offsets());
    owned->characters.push_back(column.take_characters());
    buffers.push_back(owned->offsets.back().data());
    buffers.push_back(owned->characters.back().data());
  } else {
    owned->bytes.push_back(column.take_values());
    buffers.push_back(owned->bytes.back().data());
  }
  auto array = std::make_unique<ArrowArray>();
  export_array(array.get(), column.rows(), column.nulls(), std::move(owned), std::move(buffers), {});
  return array;
}

// The columns of one call: a row per body (its fields and its list of records), a row per record.
class Builder {
 public:
  explicit Builder(const Decoder& decoder) : decoder_(decoder) {
    for (Kind kind : decoder.header.kinds) header_.emplace_back(kind);
    for (Kind kind : decoder.record.kinds) records_.emplace_back(kind);
    header_marks_.resize(header_.size());
    record_marks_.resize(records_.size());
    list_offsets_.push_back(0);
  }

  // Appends the document's row; false (nothing appended) when it is declined.
  bool append_document(simdjson::dom::element document) {
    simdjson::dom::object fields;
    if (document.get_object().get(fields) != simdjson::SUCCESS) return false;
    for (size_t index = 0; index < header_.size(); ++index) header_marks_[index] = header_[index].characters();
    for (size_t index = 0; index < records_.size(); ++index) record_marks_[index] = records_[index].characters();
    int64_t record_rows = record_count_;
    if (read_document(fields)) return true;
    for (size_t index = 0; index < header_.size(); ++index) {
      header_[index].truncate(document_count_, header_marks_[index]);
    }
    for (size_t index = 0; index < records_.size(); ++index) {
      records_[index].truncate(record_rows, record_marks_[index]);
    }
    record_count_ = record_rows;
    return false;
  }

  void append_declined() {
    for (Column& column : header_) column.append_null();
    list_offsets_.push_back(static_cast<int32_t>(record_count_));
    list_validity_.append(false);
    document_valid_.append(false);
    ++declined_count_;
    ++document_count_;
  }

  void export_to(ArrowArray* out) {
    std::vector<std::unique_ptr<ArrowArray>> fields;
    for (Column& column : header_) fields.push_back(exported_column(column));
    fields.push_back(exported_list());
    auto owned = std::make_unique<Owned>();
    std::vector<const void*> buffers{validity_buffer(*owned, document_valid_, declined_count_)};
    export_array(out, document_count_, declined_count_, std::move(owned), std::move(buffers), std::move(fields));
  }

 private:
  bool read_document(simdjson::dom::object fields) {
    bool list_seen = false;
    bool list_null = true;
    auto read_list = [&](simdjson::dom::key_value_pair field) {
      if (field.key != decoder_.list_name) return true;  // a field nobody reads
      if (list_seen) return false;
      list_seen = true;
      if (field.value.is_null()) return true;
      list_null = false;
      return read_records(field.value);
    };
    if (!read_fields(fields, decoder_.header, header_, read_list) || record_count_ > INT32_MAX) return false;
    list_offsets_.push_back(static_cast<int32_t>(record_count_));
    list_validity_.append(!list_null);
    document_valid_.append(true);
    if (list_null) ++list_nulls_;
    ++document_count_;
    return true;
  }

  bool read_records(simdjson::dom::element list) {
    simdjson::dom::array records;
    if (list.get_array().get(records) != simdjson::SUCCESS) return false;
    auto ignore = [](simdjson::dom::key_value_pair) { return true; };
    for (simdjson::dom::element element : records) {
      simdjson::dom::object record;
      if (element.get_object().get(record) != simdjson::SUCCESS) return false;
      if (!read_fields(record, decoder_.record, records_, ignore)) return false;
      ++record_count_;
    }
    return true;
  }

  // Appends one row to `columns` from the object's known `fields` (null for a missing one); `other` gets each
  // field that is not one of them. False (the document is declined) for a known field written twice, a value
  // not of its field's type, or when `other` declines.
  template <typename Other>
  static bool read_fields(simdjson::dom::object object, const Fields& fields, std::vector<Column>& columns,
                          Other other) {
    uint64_t seen = 0;
    int last = -1;
    for (simdjson::dom::key_value_pair field : object) {
      int index = fields.find(field.key, last);
      if (index < 0) {
        if (!other(field)) return false;
        continue;
      }
      last = index;
      uint64_t mask = uint64_t{1} << index;
      if (seen & mask) return false;
      seen |= mask;
      if (!columns[static_cast<size_t>(index)].append(field.value)) return false;
    }
    for (size_t index = 0; index < columns.size(); ++index) {
      if (!(seen & (uint64_t{1} << index))) columns[index].append_null();
    }
    return true;
  }

  std::unique_ptr<ArrowArray> exported_list() {
    std::vector<std::unique_ptr<ArrowArray>> members;
    for (Column& column : records_) members.push_back(exported_column(column));
    auto record = std::make_unique<ArrowArray>();
    export_array(record.get(), record_count_, 0, std::make_unique<Owned>(), {nullptr}, std::move(members));
    auto list = std::make_unique<ArrowArray>();
    auto owned = std::make_unique<Owned>();
    const void* validity = validity_buffer(*owned, list_validity_, list_nulls_ + declined_count_);
    owned->offsets.push_back(std::move(list_offsets_));
    std::vector<const void*> buffers{validity, owned->offsets.back().data()};
    std::vector<std::unique_ptr<ArrowArray>> children;
    children.push_back(std::move(record));
    export_array(list.get(), document_count_, list_nulls_ + declined_count_, std::move(owned), std::move(buffers),
                 std::move(children));
    return list;
  }

  const Decoder& decoder_;
  std::vector<Column> header_;
  std::vector<Column> records_;
  std::vector<int32_t> list_offsets_;
  Bitmap list_validity_;
  Bitmap document_valid_;
  // Each column's characters before the document being read, to take them back when it is declined.
  std::vector<size_t> header_marks_;
  std::vector<size_t> record_marks_;
  int64_t document_count_ = 0;
  int64_t record_count_ = 0;
  int64_t list_nulls_ = 0;
  int64_t declined_count_ = 0;
};

// A thread's buffer for one body's text: it grows to the largest text and is never cleared (a vector's resize
// would zero every byte it adds, for every body).
class TextBuffer {
 public:
  void reserve(size_t size) {
    if (size <= capacity_) return;
    bytes_ = std::make_unique<uint8_t[]>(size);
    capacity_ = size;
  }
  uint8_t* data() { return bytes_.get(); }
  void release_beyond(size_t limit) {
    if (capacity_ <= limit) return;
    bytes_.reset();
    capacity_ = 0;
  }

 private:
  std::unique_ptr<uint8_t[]> bytes_;
  size_t capacity_ = 0;
};

// The body's JSON text, padded as simdjson reads it; false when it is not one complete gzip member (plain
// text is taken as it is, as the caller's reference path does).
bool body_text(libdeflate_decompressor* inflater, const uint8_t* body, int64_t size, TextBuffer& text,
               size_t& length) {
  if (size < 0 || size > kLargestBody) return false;
  bool gzip = size >= 2 && body[0] == 0x1f && body[1] == 0x8b;
  if (!gzip) {
    length = static_cast<size_t>(size);
    text.reserve(length + simdjson::SIMDJSON_PADDING);
    if (length > 0) std::memcpy(text.data(), body, length);
    return true;
  }
  if (size < 18) return false;
  uint32_t claimed;
  std::memcpy(&claimed, body + size - 4, 4);  // ISIZE: the text's length modulo 2^32, little-endian
  if (claimed > static_cast<uint64_t>(size) * kMaxInflateRatio) return false;
  text.reserve(claimed + simdjson::SIMDJSON_PADDING);
  size_t used = 0;
  size_t written = 0;
  libdeflate_result result = libdeflate_gzip_decompress_ex(inflater, body, static_cast<size_t>(size), text.data(),
                                                           claimed, &used, &written);
  if (result != LIBDEFLATE_SUCCESS || used != static_cast<size_t>(size) || written != claimed) return false;
  length = written;
  return true;
}

// A text opening with a UTF-8 byte order mark is left to the reference reader, which decides what it is.
bool starts_with_byte_order_mark(const uint8_t* text, size_t length) {
  return length >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF;
}

// Buffers larger than this (grown for an unusually large object) are let go after their call, so a decoding
// thread does not hold them for the process's life.
constexpr size_t kKeptBufferBytes = size_t{64} << 20;

// What one thread reuses from call to call: the parser's buffers grow to the largest document once.
struct ThreadState {
  simdjson::dom::parser parser;
  TextBuffer text;
  libdeflate_decompressor* inflater = libdeflate_alloc_decompressor();
  ThreadState() = default;
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;
  ~ThreadState() { libdeflate_free_decompressor(inflater); }

  void release_large_buffers() {
    if (parser.capacity() > kKeptBufferBytes) parser = simdjson::dom::parser{};
    text.release_beyond(kKeptBufferBytes);
  }
};

}  // namespace

extern "C" {

// A decoder for documents of the given structure, kept for the process's life; nullptr when it cannot be
// (more than 64 fields).
__attribute__((visibility("default"))) void* cct_decoder_new(const char* const* header_names,
                                                              const int8_t* header_kinds, int64_t header_count,
                                                              const char* list_name,
                                                              const char* const* record_names,
                                                              const int8_t* record_kinds, int64_t record_count) {
  if (header_count < 1 || header_count > 64 || record_count < 1 || record_count > 64) return nullptr;
  try {
    auto decoder = std::make_unique<Decoder>();
    for (int64_t index = 0; index < header_count; ++index) {
      decoder->header.names.emplace_back(header_names[index]);
      decoder->header.kinds.push_back(static_cast<Kind>(header_kinds[index]));
    }
    decoder->list_name = list_name;
    for (int64_t index = 0; index < record_count; ++index) {
      decoder->record.names.emplace_back(record_names[index]);
      decoder->record.kinds.push_back(static_cast<Kind>(record_kinds[index]));
    }
    return decoder.release();
  } catch (...) {
    return nullptr;
  }
}

// Decodes `count` bodies into `out` (a struct array: the header fields, then the list of records) and sets
// declined[i] to 1 for each body it leaves to the caller. Returns 0, or 1 when it failed (it could not
// allocate); then `out` is untouched and the caller reads the whole chunk its own way.
__attribute__((visibility("default"))) int cct_decode(const void* decoder, const uint8_t* const* bodies,
                                                     const int64_t* sizes, int64_t count, ArrowArray* out,
                                                     uint8_t* declined) {
  thread_local ThreadState state;
  try {
    if (state.inflater == nullptr) return 1;
    Builder builder(*static_cast<const Decoder*>(decoder));
    for (int64_t index = 0; index < count; ++index) {
      size_t length = 0;
      simdjson::dom::element document;
      bool read = body_text(state.inflater, bodies[index], sizes[index], state.text, length) &&
                  !starts_with_byte_order_mark(state.text.data(), length) &&
                  state.parser.parse(state.text.data(), length, false).get(document) == simdjson::SUCCESS &&
                  builder.append_document(document);
      declined[index] = read ? 0 : 1;
      if (!read) builder.append_declined();
    }
    builder.export_to(out);
    state.release_large_buffers();
    return 0;
  } catch (...) {
    state.release_large_buffers();
    return 1;
  }
}

}  // extern "C"
