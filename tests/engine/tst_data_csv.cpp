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

    // eval on a CSV: labels by the model's class names, whatever order the file
    // lists them in (was: renumbered by first appearance, "dog" first became 0).
    void labelsMapThroughTheModelsClasses()
    {
        CsvOptions o;
        o.classes = {"cat", "dog"};
        const Dataset d = nn::data::loadCsv(write("dogfirst.csv", "a,b,label\n1,2,dog\n3,4,dog\n5,6,cat\n"), o);
        QCOMPARE(d.labels, std::vector<int32_t>({1, 1, 0}));
        QCOMPARE(d.numClasses, 2);
        QCOMPARE(d.classNames, o.classes);
        // A model trained on numeric labels calls its classes "0", "1", "2": "2.0" is "2".
        o.classes = {"0", "1", "2"};
        QCOMPARE(nn::data::loadCsv(write("num.csv", "a,b,label\n1,2,2.0\n3,4,0\n"), o).labels, std::vector<int32_t>({2, 0}));
        // Text class names: numeric labels are class indices, as when training.
        o.classes = {"class 0", "class 1"};
        QCOMPARE(nn::data::loadCsv(write("idx.csv", "a,b,label\n1,2,1\n3,4,0\n"), o).labels, std::vector<int32_t>({1, 0}));
    }

    void unknownLabelIsRefusedByName()
    {
        CsvOptions o;
        o.classes = {"cat", "dog"};
        const QString msg = errorOf([&] { nn::data::loadCsv(write("bird.csv", "a,b,label\n1,2,dog\n3,4,bird\n"), o); });
        for (const char* part : {"bird.csv line 3", "label 'bird'", "'cat', 'dog'"})
            QVERIFY2(msg.contains(part), qPrintable(msg));
        o.classes = {"class 0", "class 1"};
        const QString idx = errorOf([&] { nn::data::loadCsv(write("idx3.csv", "a,b,label\n1,2,0\n3,4,2\n"), o); });
        QVERIFY2(idx.contains("label '2'") && idx.contains("knows 2 classes"), qPrintable(idx));
    }

    // Header names that look numeric (years, sizes) above the data.
    void numericLookingHeaderIsAHeader()
    {
        Dataset d = nn::data::loadCsv(write("years.csv", "2020,2021,label\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n"));
        QCOMPARE(d.size(), size_t(4));
        QCOMPARE(d.classNames, std::vector<std::string>({"cat", "dog"}));
        QCOMPARE(d.notices.size(), size_t(1));
        QVERIFY2(QString::fromStdString(d.notices[0]).contains("line 1 was read as the header"), d.notices[0].c_str());
        // A numeric label name: 2022 above class indices 0..1.
        d = nn::data::loadCsv(write("numlabel.csv", "2020,2021,2022\n1,2,0\n3,4,1\n5,6,0\n"));
        QCOMPARE(d.size(), size_t(3));
        QCOMPARE(d.numClasses, 2);
        // --label by name: the row that holds the name is the header.
        CsvOptions o;
        o.labelColumn = "y";
        d = nn::data::loadCsv(write("named.csv", "10,20,y\n1,2,0\n3,4,1\n"), o);
        QCOMPARE(d.size(), size_t(2));
        // A first row whose label recurs is data.
        d = nn::data::loadCsv(write("data.csv", "1,2,cat\n3,4,cat\n5,6,dog\n"));
        QCOMPARE(d.size(), size_t(3));
        QVERIFY(d.notices.empty());
        // A model's classes: an unknown first label above known ones is a header.
        o = {};
        o.classes = {"cat", "dog"};
        d = nn::data::loadCsv(write("evalyears.csv", "2020,2021,species\n1,2,dog\n3,4,cat\n"), o);
        QCOMPARE(d.labels, std::vector<int32_t>({1, 0}));
        // ... and a known class first is data, even when it occurs once.
        d = nn::data::loadCsv(write("evaldata.csv", "1,2,dog\n3,4,cat\n5,6,cat\n"), o);
        QCOMPARE(d.labels, std::vector<int32_t>({1, 0, 0}));
    }

    // A Latin-1 file (old spreadsheets): read, converted to UTF-8, with a notice.
    void latin1FileIsConvertedToUtf8()
    {
        const Dataset d = nn::data::loadCsv(write("latin1.csv", "x,y,label\n1,2,caf\xe9\n3,4,th\xe9\n5,6,caf\xe9\n"));
        QCOMPARE(d.classNames, std::vector<std::string>({"caf\xc3\xa9", "th\xc3\xa9"}));
        QCOMPARE(d.notices.size(), size_t(1));
        QVERIFY2(QString::fromStdString(d.notices[0]).contains("not UTF-8") &&
                     QString::fromStdString(d.notices[0]).contains("Latin-1"),
                 d.notices[0].c_str());
        // Valid UTF-8 is left alone and says nothing.
        const Dataset u = nn::data::loadCsv(write("utf8.csv", "x,y,label\n1,2,caf\xc3\xa9\n3,4,th\xc3\xa9\n"));
        QCOMPARE(u.classNames[0], std::string("caf\xc3\xa9"));
        QVERIFY(u.notices.empty());
    }

    // 2-3 rows: the default fractions keep no validation or test sample; refused,
    // saying so, instead of training with NaN metrics and early stopping off.
    void tinyFileSplitIsRefused()
    {
        const std::string path = write("tiny.csv", "x,y,label\n1,2,0\n3,4,1\n5,6,0\n");
        const QString msg = errorOf([&] { nn::data::loadSource(path); });
        for (const char* part : {"only 3 samples", "validation fraction 0.15 keeps none", "at least 4 samples",
                                 "--val-fraction 0", "early stopping is off"})
            QVERIFY2(msg.contains(part), qPrintable(msg));
        nn::data::SourceOptions o;
        o.validationFraction = 0;
        const QString test = errorOf([&] { nn::data::loadSource(path, o); });
        QVERIFY2(test.contains("test fraction 0.15 keeps none") && test.contains("--test-fraction 0"), qPrintable(test));
        o.testFraction = 0;
        const nn::data::Split s = nn::data::loadSource(path, o);  // asked for: train on all 3
        QCOMPARE(s.train.size(), size_t(3));
        QCOMPARE(s.validation.size(), size_t(0));
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
