#include "engine/store/sqlite.h"

#include <cmath>
#include <cstring>

#include <sqlite3.h>

#include "engine/core/error.h"

namespace nn::store::sql {

std::string immutableUri(const std::string& path)
{
    static const char* hex = "0123456789ABCDEF";
    std::string uri = "file:";
    for (const char ch : path) {
        const auto c = static_cast<unsigned char>(ch);
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/'
                           || c == '-' || c == '_' || c == '.' || c == '~';
        if (plain) {
            uri += ch;
        } else {
            uri += '%';
            uri += hex[c >> 4];
            uri += hex[c & 15];
        }
    }
    return uri + "?immutable=1";
}

Db::Db(const std::string& path, int flags, bool immutable) : path_(path)
{
    const std::string name = immutable ? immutableUri(path) : path;
    if (immutable) flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
    const int rc = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error("cannot open run history '" + path + "': " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() { sqlite3_close_v2(db_); }

void Db::fail(const std::string& what) const
{
    throw Error("run history '" + path_ + "': " + what + ": " + sqlite3_errmsg(db_));
}

int Db::lastCode() const { return sqlite3_errcode(db_) & 0xff; }

void Db::exec(const std::string& sql)
{
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw Error("run history '" + path_ + "': " + msg);
    }
}

int64_t Db::scalar(const std::string& sql)
{
    Stmt s(*this, sql);
    return s.step() ? s.integer(0) : 0;
}

int64_t Db::lastInsertId() const { return sqlite3_last_insert_rowid(db_); }

Stmt::Stmt(Db& db, const std::string& sql) : db_(&db)
{
    if (sqlite3_prepare_v2(db.handle(), sql.c_str(), int(sql.size()), &s_, nullptr) != SQLITE_OK) db.fail("preparing a query");
}

Stmt::Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }

Stmt& Stmt::operator=(Stmt&& o) noexcept
{
    if (this != &o) {
        sqlite3_finalize(s_);
        db_ = o.db_;
        s_ = o.s_;
        o.s_ = nullptr;
    }
    return *this;
}

Stmt::~Stmt() { sqlite3_finalize(s_); }

Stmt& Stmt::bind(int i, int64_t v)
{
    sqlite3_bind_int64(s_, i, v);
    return *this;
}

Stmt& Stmt::bind(int i, double v)
{
    if (std::isfinite(v))
        sqlite3_bind_double(s_, i, v);
    else
        sqlite3_bind_null(s_, i);
    return *this;
}

Stmt& Stmt::bind(int i, std::string_view v)
{
    sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
}

Stmt& Stmt::bindBlob(int i, const void* data, size_t bytes)
{
    sqlite3_bind_blob64(s_, i, data, sqlite3_uint64(bytes), SQLITE_TRANSIENT);
    return *this;
}

Stmt& Stmt::bindNull(int i)
{
    sqlite3_bind_null(s_, i);
    return *this;
}

bool Stmt::step()
{
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(s_);
    db_->fail("query failed");
}

void Stmt::run()
{
    while (step()) {
    }
    reset();
}

void Stmt::reset()
{
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
}

bool Stmt::isNull(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
int64_t Stmt::integer(int c) const { return sqlite3_column_int64(s_, c); }

double Stmt::real(int c) const
{
    return isNull(c) ? std::nan("") : sqlite3_column_double(s_, c);
}

std::string Stmt::text(int c) const
{
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p ? std::string(p, size_t(sqlite3_column_bytes(s_, c))) : std::string();
}

std::vector<unsigned char> Stmt::blob(int c) const
{
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(s_, c));
    const int n = sqlite3_column_bytes(s_, c);
    return p ? std::vector<unsigned char>(p, p + n) : std::vector<unsigned char>();
}

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction()
{
    if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit()
{
    db_.exec("COMMIT");
    done_ = true;
}

} // namespace nn::store::sql
