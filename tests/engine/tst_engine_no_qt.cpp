// The engine is a Qt-free library (the CLI and the tests link it without Qt
// widgets; a future Python binding must not drag Qt in). This suite walks every
// file under engine/ and fails, naming the file and line, on any Qt include.
#include <QtTest/QtTest>

#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>

namespace {

// `#include <QString>`, `# include "QtCore/qglobal.h"`, `#include <QtWidgets>`...
const QRegularExpression& qtInclude()
{
    // (A plain literal: moc's tokenizer does not cope with this raw string.)
    static const QRegularExpression re(QStringLiteral("#\\s*include\\s*[<\"]Q|<Qt"));
    return re;
}

QString engineDir()
{
    const QByteArray root = qgetenv("NN_SOURCE_DIR");
    return QString::fromLocal8Bit(root.isEmpty() ? QByteArray(".") : root) + "/engine";
}

} // namespace

class EngineNoQt : public QObject {
    Q_OBJECT
private slots:
    // The pattern itself: it must catch the spellings of a Qt include and leave
    // ordinary includes alone, or the walk below proves nothing.
    void patternMatchesQtIncludes_data()
    {
        QTest::addColumn<QString>("line");
        QTest::addColumn<bool>("qt");
        QTest::newRow("angle") << "#include <QString>" << true;
        QTest::newRow("quoted") << "#include \"QObject\"" << true;
        QTest::newRow("spaced") << "#  include   <QtCore/QList>" << true;
        QTest::newRow("module") << "#include <QtWidgets>" << true;
        QTest::newRow("tight") << "#include<QVector>" << true;
        QTest::newRow("std") << "#include <vector>" << false;
        QTest::newRow("engine") << "#include \"engine/graph/graph.h\"" << false;
        QTest::newRow("nlohmann") << "#include <nlohmann/json.hpp>" << false;
        QTest::newRow("comment") << "// the GUI wraps this in a QObject" << false;
    }

    void patternMatchesQtIncludes()
    {
        QFETCH(QString, line);
        QFETCH(bool, qt);
        QCOMPARE(qtInclude().match(line).hasMatch(), qt);
    }

    void engineIncludesNoQt()
    {
        const QString dir = engineDir();
        QVERIFY2(QFileInfo(dir).isDir(), qPrintable(dir + " is not a directory (is NN_SOURCE_DIR set?)"));
        QDirIterator it(dir, QDir::Files | QDir::NoDotAndDotDot | QDir::Hidden, QDirIterator::Subdirectories);
        int files = 0, sources = 0;
        QStringList offences;
        while (it.hasNext()) {
            const QString path = it.next();
            QFile f(path);
            QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable("cannot read " + path));
            ++files;
            if (path.endsWith(".cpp") || path.endsWith(".h")) ++sources;
            int lineNo = 0;
            while (!f.atEnd()) {
                ++lineNo;
                const QString line = QString::fromUtf8(f.readLine()).trimmed();
                if (qtInclude().match(line).hasMatch())
                    offences << QString("%1:%2: %3").arg(QDir(dir).relativeFilePath(path)).arg(lineNo).arg(line);
            }
        }
        QVERIFY2(sources >= 10, qPrintable(QString("only %1 source files found under %2").arg(sources).arg(dir)));
        QVERIFY2(offences.isEmpty(),
                 qPrintable("the engine must not include Qt (" + QString::number(offences.size())
                            + " includes):\n  engine/" + offences.join("\n  engine/")));
        Q_UNUSED(files);
    }
};

QTEST_APPLESS_MAIN(EngineNoQt)
#include "tst_engine_no_qt.moc"
