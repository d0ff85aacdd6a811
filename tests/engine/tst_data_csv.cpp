// CSV import: header detection, label columns (by name, by index, default
// last), numeric and text labels, quoting, blank lines, and every error with
// its file, line and column. Files are written into a temporary directory.
#include "engine/core/error.h"
#include "engine/data/dataset.h"

#include <QtTest/QtTest>

#include <functional>

using nn::data::CsvOptions;
using nn::data::Dataset;

namespace {

QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const nn::Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

const char* kIris = "sepal_length,sepal_width,petal_length,petal_width,species\n"
                    "5.1,3.5,1.4,0.2,setosa\n"
                    "7.0,3.2,4.7,1.4,versicolor\n"
                    "6.3,3.3,6.0,2.5,virginica\n"
                    "4.9,3.0,1.4,0.2,setosa\n";

} // namespace

class TestDataCsv : public QObject {
    Q_OBJECT

private slots:
    void init() { QVERIFY(dir_.isValid()); }

    void headerAndTextLabels()
    {
        const Dataset d = nn::data::loadCsv(write("iris.csv", kIris));
        QCOMPARE(d.name, std::string("iris"));
        QCOMPARE(d.size(), size_t(4));
        QCOMPARE(d.sampleShape, std::vector<int64_t>({4}));
        QCOMPARE(d.numClasses, 3);
        // Text labels become classes in order of first appearance.
        QCOMPARE(d.classNames, std::vector<std::string>({"setosa", "versicolor", "virginica"}));
        QCOMPARE(d.labels, std::vector<int32_t>({0, 1, 2, 0}));
        QCOMPARE(std::vector<float>(d.sample(1), d.sample(1) + 4), std::vector<float>({7.0f, 3.2f, 4.7f, 1.4f}));
    }

    void labelColumnByNameAndIndex()
    {
        const std::string file = write("lab.csv", "x,class,y\n1,0,2\n3,1,4\n5,1,6\n");
        CsvOptions byName;
        byName.labelColumn = "class";
        const Dataset a = nn::data::loadCsv(file, byName);
        QCOMPARE(a.labels, std::vector<int32_t>({0, 1, 1}));
        QCOMPARE(a.features, std::vector<float>({1, 2, 3, 4, 5, 6}));
        CsvOptions byIndex;
        byIndex.labelColumn = "1";
        const Dataset b = nn::data::loadCsv(file, byIndex);
        QCOMPARE(b.labels, a.labels);
        QCOMPARE(b.features, a.features);
    }

    void numericLabelsWithoutHeader()
    {
        const Dataset d = nn::data::loadCsv(write("n.csv", "0.5,-1e-3,2\n+1.5,2.5E2,0\n-3,4,2.0\n"));
        QCOMPARE(d.size(), size_t(3));
        QCOMPARE(d.sampleShape, std::vector<int64_t>({2}));
        QCOMPARE(d.features, std::vector<float>({0.5f, -1e-3f, 1.5f, 250.0f, -3.0f, 4.0f}));
        QCOMPARE(d.labels, std::vector<int32_t>({2, 0, 2}));
        // Numeric labels are class indices; unused ones still count.
        QCOMPARE(d.numClasses, 3);
        QCOMPARE(d.classNames, std::vector<std::string>({"0", "1", "2"}));
    }

    void textLabelsWithoutHeader()
    {
        // The first row's only text is its label: data, not a header.
        const Dataset d = nn::data::loadCsv(write("t.csv", "0.1,0.2,red\n0.3,0.4,blue\n0.5,0.6,red\n"));
        QCOMPARE(d.size(), size_t(3));
        QCOMPARE(d.classNames, std::vector<std::string>({"red", "blue"}));
        QCOMPARE(d.labels, std::vector<int32_t>({0, 1, 0}));
    }

    void headerWithNumericFeatureNames()
    {
        // Only the label name is text, but the next row's label is a number.
        const Dataset d = nn::data::loadCsv(write("h.csv", "1,2,label\n0.5,0.5,1\n0.1,0.2,0\n"));
        QCOMPARE(d.size(), size_t(2));
        QCOMPARE(d.labels, std::vector<int32_t>({1, 0}));
    }

    void quotingBlankLinesCrlfAndBom()
    {
        const std::string text = "\xEF\xBB\xBF"
                                 "\"width, cm\",\"say \"\"hi\"\"\",city\r\n"
                                 "\r\n"
                                 "  1.5 , \"2\",\"New York, NY\"\r\n"
                                 "   \r\n"
                                 "3,4,\"Line\nbreak\"\r\n"
                                 "5,6,\"New York, NY\"";  // no final newline
        CsvOptions o;
        o.labelColumn = "city";
        const Dataset d = nn::data::loadCsv(write("q.csv", text), o);
        QCOMPARE(d.size(), size_t(3));
        QCOMPARE(d.features, std::vector<float>({1.5f, 2, 3, 4, 5, 6}));
        QCOMPARE(d.classNames, std::vector<std::string>({"New York, NY", "Line\nbreak"}));
        QCOMPARE(d.labels, std::vector<int32_t>({0, 1, 0}));

        CsvOptions quoted;
        quoted.labelColumn = "say \"hi\"";
        QCOMPARE(nn::data::loadCsv(write("q2.csv", "\"a,b\",\"say \"\"hi\"\"\"\n1,0\n2,1\n"), quoted).size(), size_t(2));
    }

    void otherDelimiter()
    {
        CsvOptions o;
        o.delimiter = ';';
        const Dataset d = nn::data::loadCsv(write("s.csv", "a;b;c\n1.5;2;x\n"), o);
        QCOMPARE(d.features, std::vector<float>({1.5f, 2.0f}));
        // '1,5' is not a number in a ';' file: the error names it.
        const QString msg = errorOf([&] { nn::data::loadCsv(write("s2.csv", "a;b;c\n1.5;2;x\n1,5;2;y\n"), o); });
        QVERIFY2(msg.contains("s2.csv line 3: column 1 ('a') is '1,5', not a number"), qPrintable(msg));
    }

    void loadSourceSplitsACsvFile()
    {
        QString text = "x,y,label\n";
        for (int i = 0; i < 100; ++i) text += QString("%1,%2,%3\n").arg(i).arg(-i).arg(i % 2 ? "odd" : "even");
        nn::data::SourceOptions o;
        o.validationFraction = 0.2;
        o.testFraction = 0.1;
        const nn::data::Split s = nn::data::loadSource(write("p.csv", text.toStdString()), o);
        QCOMPARE(s.validation.size(), size_t(20));
        QCOMPARE(s.test.size(), size_t(10));
        QCOMPARE(s.train.size(), size_t(70));
        QCOMPARE(s.train.classNames, std::vector<std::string>({"even", "odd"}));
    }

    // --- errors ------------------------------------------------------------------
    void errors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("label");
        QTest::addColumn<QString>("expected");
        const QString iris = kIris;
        QTest::newRow("not a number")
            << iris + "5.0,3.6,1.4,0.2,setosa\n\n6.1,2.8,4.0,abc,versicolor\n" << ""
            << "bad.csv line 8: column 4 ('petal_width') is 'abc', not a number";
        QTest::newRow("empty feature") << "1,2,3\n4,,5\n" << ""
                                       << "bad.csv line 2: column 2 is empty, not a number";
        QTest::newRow("infinite") << "a,b\n1e99,1\n" << "" << "bad.csv line 2: column 1 ('a') is '1e99', not a finite";
        QTest::newRow("too few fields") << "a,b,c,d,e\n1,2,3,4,5\n\n1,2,3\n" << ""
                                        << "bad.csv line 4: 3 fields, expected 5";
        QTest::newRow("too many fields") << "1,2,3\n1,2,3,4\n" << "" << "bad.csv line 2: 4 fields, expected 3";
        QTest::newRow("label name not found") << iris << "Species"
                                              << "label column 'Species' not found; available columns: "
                                                 "'sepal_length', 'sepal_width', 'petal_length', 'petal_width', "
                                                 "'species'";
        QTest::newRow("label index out of range") << iris << "5" << "label column 5 is out of range: the file has 5 "
                                                                    "columns, numbered 0..4";
        QTest::newRow("label name without header") << "1,2,0\n3,4,1\n" << "species"
                                                   << "no header row (its first row holds numbers); give the label "
                                                      "column as a 0-based index";
        QTest::newRow("empty file") << "" << "" << "bad.csv: the file is empty";
        QTest::newRow("blank file") << "\n  \n\r\n" << "" << "bad.csv: the file is empty";
        QTest::newRow("header only") << "a,b,label\n" << "" << "bad.csv: has a header row but no data rows";
        QTest::newRow("one column") << "label\n1\n" << "" << "bad.csv line 1: only 1 column";
        QTest::newRow("negative label") << "1,2,0\n3,4,-1\n" << "" << "bad.csv line 2: label '-1' in column 3 is not "
                                                                      "a class index";
        QTest::newRow("fractional label") << "1,2,0\n3,4,1.5\n" << "" << "bad.csv line 2: label '1.5'";
        QTest::newRow("empty label") << "x,y\n1,a\n2,\n" << "" << "bad.csv line 3: the label in column 2 ('y') is empty";
        QTest::newRow("unclosed quote") << "a,b\n1,\"x\n2,y\n" << "" << "bad.csv line 2: a quoted field is never closed";
        QTest::newRow("text after quote") << "a,b\n1,\"x\"y\n" << "" << "bad.csv line 2: unexpected 'y' after the "
                                                                        "closing quote of field 2";
    }
    void errors()
    {
        QFETCH(QString, text);
        QFETCH(QString, label);
        QFETCH(QString, expected);
        CsvOptions o;
        o.labelColumn = label.toStdString();
        const std::string file = write("bad.csv", text.toStdString());
        const QString msg = errorOf([&] { nn::data::loadCsv(file, o); });
        QVERIFY2(msg.contains(expected), qPrintable(msg));
        QVERIFY2(msg.contains(QString::fromStdString(file)), qPrintable(msg));
    }

    void tooManyTextClasses()
    {
        std::string text = "x,id\n";
        for (int i = 0; i < 1001; ++i) text += "1,id" + std::to_string(i) + "\n";
        const QString msg = errorOf([&] { nn::data::loadCsv(write("ids.csv", text)); });
        QVERIFY2(msg.contains("ids.csv line 1002: more than 1000 distinct labels in column 2 ('id')"),
                 qPrintable(msg));
    }

    void missingFile()
    {
        const QString msg = errorOf([&] { nn::data::loadCsv(dir_.filePath("none.csv").toStdString()); });
        QVERIFY2(msg.contains("none.csv: no such file"), qPrintable(msg));
    }

private:
    std::string write(const QString& name, const std::string& text)
    {
        QFile f(dir_.filePath(name));
        if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(f.fileName()));
        f.write(text.data(), qint64(text.size()));
        return f.fileName().toStdString();
    }
    QTemporaryDir dir_;
};

QTEST_APPLESS_MAIN(TestDataCsv)
#include "tst_data_csv.moc"
