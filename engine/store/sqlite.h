#pragma once
// A thin RAII layer over the system libsqlite3: a connection, prepared statements
// and transactions. Every failure throws nn::Error naming the file and SQLite's
// message. Internal to engine/store.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace nn::store::sql {

class Db;

class Stmt {
public:
    Stmt() = default;
    Stmt(Db& db, const std::string& sql);
    Stmt(Stmt&& o) noexcept;
    Stmt& operator=(Stmt&& o) noexcept;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    ~Stmt();

    // Binds are 1-based, as in SQLite. A NaN double binds as NULL.
    Stmt& bind(int i, int64_t v);
    Stmt& bind(int i, int v) { return bind(i, int64_t(v)); }
    Stmt& bind(int i, double v);
    Stmt& bind(int i, std::string_view v);
    Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    Stmt& bindBlob(int i, const void* data, size_t bytes);
    Stmt& bindNull(int i);

    bool step();  // true while there is a row
    void run();   // step() to the end, then reset()
    void reset();

    // Columns are 0-based. A NULL reads as 0, NaN, "" or an empty blob.
    bool isNull(int c) const;
    int64_t integer(int c) const;
    double real(int c) const;
    std::string text(int c) const;
    std::vector<unsigned char> blob(int c) const;

private:
    Db* db_ = nullptr;
    sqlite3_stmt* s_ = nullptr;
};

class Db {
public:
    // flags as sqlite3_open_v2's; throws on failure. `immutable` opens the file
    // through SQLite's "immutable=1" URI: read-only, no locks, no -wal/-shm files,
    // for a history on a read-only mount (where a WAL file cannot otherwise be read).
    Db(const std::string& path, int flags, bool immutable = false);
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db();

    void exec(const std::string& sql);
    int64_t scalar(const std::string& sql);  // first column of the first row (0 if none)
    int64_t lastInsertId() const;
    const std::string& path() const { return path_; }
    sqlite3* handle() const { return db_; }
    // "database disk image is malformed" etc. Throws nn::Error with `what` and the file.
    [[noreturn]] void fail(const std::string& what) const;
    int lastCode() const;

private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

// "file:/path?immutable=1" with the path percent-encoded (spaces, '?', '#', '%').
std::string immutableUri(const std::string& path);

// BEGIN IMMEDIATE ... COMMIT; rolls back unless commit() was called.
class Transaction {
public:
    explicit Transaction(Db& db);
    ~Transaction();
    void commit();

private:
    Db& db_;
    bool done_ = false;
};

} // namespace nn::store::sql
