// The run store's compression stages (table compress_stages, schema v3): a
// pipeline's stage reports kept with their run.
#include <cmath>
#include <string>

#include "engine/core/error.h"
#include "engine/core/utf8.h"
#include "engine/store/run_store.h"
#include "engine/store/sqlite.h"

namespace nn::store {

namespace {

const nlohmann::json& need(const nlohmann::json& j, const char* key)
{
    if (!j.is_object() || !j.contains(key))
        throw Error(std::string("a compression stage record needs \"") + key + "\"");
    return j[key];
}

} // namespace

void RunStore::addStage(int64_t id, const nlohmann::json& stage)
{
    requireWritable();
    int64_t bits = 0;
    double accuracy = 0, ratio = 0;
    int step = 0;
    std::string kind, text;
    try {
        step = need(stage, "step").get<int>();
        kind = need(stage, "stage").get<std::string>();
        text = need(stage, "text").get<std::string>();
        const auto& acc = need(stage, "test_accuracy");
        accuracy = acc.is_null() ? std::nan("") : acc.get<double>();
        ratio = need(stage, "ratio").get<double>();
        const std::string best = need(stage, "best_format").get<std::string>();
        const auto& byFormat = need(stage, "bits");
        if (!byFormat.contains(best)) throw Error("the stage's \"bits\" lack its best format '" + best + "'");
        bits = byFormat[best].get<int64_t>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("a compression stage record has a value of the wrong type: ") + e.what());
    }
    sql::Transaction tx(*db_);
    sql::Stmt(*db_, "INSERT OR REPLACE INTO compress_stages(run_id, step, kind, text, test_accuracy, ratio, bits, record) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        .bind(1, id)
        .bind(2, step)
        .bind(3, kind)
        .bind(4, text)
        .bind(5, accuracy)
        .bind(6, ratio)
        .bind(7, bits)
        .bind(8, stage.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        .run();
    tx.commit();
}

std::vector<StageRecord> RunStore::stages(int64_t id) const
{
    std::vector<StageRecord> out;
    sql::Stmt s(*db_, "SELECT step, kind, text, test_accuracy, ratio, bits, record FROM compress_stages "
                      "WHERE run_id = ?1 ORDER BY step");
    s.bind(1, id);
    while (s.step()) {
        StageRecord r;
        r.step = int(s.integer(0));
        r.kind = utf8::decode(s.text(1));  // an old file may hold invalid bytes
        r.text = utf8::decode(s.text(2));
        r.testAccuracy = s.real(3);
        r.ratio = s.real(4);
        r.bits = s.integer(5);
        try {
            r.record = nlohmann::json::parse(utf8::decode(s.text(6)));
        } catch (const nlohmann::json::exception&) {
            throw Error("run " + std::to_string(id) + " in '" + path_ + "': the record of compression stage "
                        + std::to_string(r.step) + " is not valid JSON (the file was edited or damaged)");
        }
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace nn::store
