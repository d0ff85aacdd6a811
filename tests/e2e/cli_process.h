#pragma once
// What the end-to-end suites share: where the sources and nnstudio-cli are (CTest
// sets NN_SOURCE_DIR and NN_CLI), and running a program to completion with its
// exit code and output, a hang or a crash reported instead of blocking the suite,
// and reading a --json run's output.
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace nntest {

inline QString sourceDir()
{
    const QByteArray root = qgetenv("NN_SOURCE_DIR");
    return QString::fromLocal8Bit(root.isEmpty() ? QByteArray(".") : root);
}

inline QString cli() { return QString::fromLocal8Bit(qgetenv("NN_CLI")); }

inline QString spiralSpec() { return sourceDir() + "/assets/models/spiral-mlp.json"; }

struct ProcessResult {
    int exitCode = -1;
    bool crashed = false;
    QString out, err;
};

inline ProcessResult runProcess(const QString& program, const QStringList& args, int timeoutMs)
{
    QProcess p;
    p.setProgram(program);
    p.setArguments(args);
    p.start();
    ProcessResult r;
    if (!p.waitForStarted(5000)) {
        r.err = "could not start " + program + ": " + p.errorString();
        return r;
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(1000);
        r.err = "timed out";
        return r;
    }
    r.crashed = p.exitStatus() != QProcess::NormalExit;
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// Every non-empty stdout line as a JSON object; an empty list (and `error`, when
// given, naming the line) when a line is not one.
inline QList<QJsonObject> jsonLines(const QString& out, QString* error = nullptr)
{
    QList<QJsonObject> objects;
    for (const QString& line : out.split('\n', Qt::SkipEmptyParts)) {
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(line.toUtf8(), &pe);
        if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
            if (error) *error = "not a JSON object: " + line;
            return {};
        }
        objects << doc.object();
    }
    return objects;
}

} // namespace nntest
