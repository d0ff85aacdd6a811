#pragma once
// The run store's SQLite schema (schema.cpp): version 1's tables and the
// migrations to each later version, in order; the last one's `to` is
// kSchemaVersion (run_store.h).
#include <vector>

namespace nn::store::schema {

extern const char* const kV1;

struct Migration {
    int to;
    const char* sql;
};
const std::vector<Migration>& migrations();

} // namespace nn::store::schema
