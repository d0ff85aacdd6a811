// nn::num, the one place numbers become text and back: the same in every locale
// (checked under de_DE.UTF-8, whose decimal comma broke std::stod, strtod and
// printf), whole-string parsing, and the shortest text that reads back exactly.
// Also nn::utf8, which keeps text that is not UTF-8 out of JSON.
#include <QtTest/QtTest>

#include <clocale>
#include <cmath>
#include <limits>

#include "engine/core/numbers.h"
#include "engine/core/utf8.h"

using namespace nn;

class NumbersTest : public QObject {
    Q_OBJECT
private slots:
    void init()
    {
        if (!std::setlocale(LC_ALL, "de_DE.UTF-8"))
            QFAIL("the de_DE.UTF-8 locale is not installed: run packaging/setup.sh (it generates it)");
    }
    void cleanup() { std::setlocale(LC_ALL, "C"); }

    void parsesWholeNumbersOnly()
    {
        QCOMPARE(num::parseDouble("0.5").value_or(-1), 0.5);
        QCOMPARE(num::parseDouble("+2").value_or(-1), 2.0);
        QCOMPARE(num::parseDouble("-1e-3").value_or(-1), -1e-3);
        QCOMPARE(num::parseDouble(".25").value_or(-1), 0.25);
        QCOMPARE(num::parseDouble("5.").value_or(-1), 5.0);
        for (const char* bad : {"", "0,5", " 1", "1 ", "1e", "+-1", "--1", "0x10", "inf", "nan", "1e999", "abc", "."})
            QVERIFY2(!num::parseDouble(bad), bad);
        QVERIFY(std::isinf(num::parseDouble("-inf", true).value_or(0)));
        QVERIFY(std::isnan(num::parseDouble("nan", true).value_or(0)));
        QCOMPARE(num::parseInt("42").value_or(-1), int64_t(42));
        QCOMPARE(num::parseInt("-3").value_or(0), int64_t(-3));
        QCOMPARE(num::parseInt("+4").value_or(0), int64_t(4));
        for (const char* bad : {"", "4.0", "+-4", "1e3", " 4"}) QVERIFY2(!num::parseInt(bad), bad);
    }

    void prefixForTokenizers()
    {
        const num::Prefix p = num::parsePrefix("0.5*x");
        QCOMPARE(p.used, size_t(3));
        QCOMPARE(p.value, 0.5);
        QCOMPARE(num::parsePrefix("x").used, size_t(0));
        QCOMPARE(num::parsePrefix("2e").used, size_t(1));  // "2" then a name
        QVERIFY(num::parsePrefix("1e400").outOfRange);
    }

    void shortestRoundTrips()
    {
        QCOMPARE(num::shortest(0.1), std::string("0.1"));
        QCOMPARE(num::shortest(0.123456789), std::string("0.123456789"));
        QCOMPARE(num::shortest(0.6931471805599453), std::string("0.6931471805599453"));
        QCOMPARE(num::shortest(0.03f), std::string("0.03"));
        QCOMPARE(num::shortest(0.123456789f), std::string("0.12345679"));
        QCOMPARE(num::shortest(std::nan("")), std::string("nan"));
        QCOMPARE(num::shortest(-HUGE_VAL), std::string("-inf"));
        for (const float f : {0.123456789f, 1e-7f, 3.4028235e38f, std::numeric_limits<float>::denorm_min()}) {
            QCOMPARE(float(num::asTyped(f)), f);
            QCOMPARE(float(num::parseDouble(num::shortest(f)).value()), f);
        }
        QCOMPARE(num::asTyped(0.03f), 0.03);
    }

    void printfFormsInTheCLocale()
    {
        QCOMPARE(num::fixed(1.5, 2), std::string("1.50"));
        QCOMPARE(num::fixed(2.0 / 3.0, 4), std::string("0.6667"));
        QCOMPARE(num::fixed(1e300, 1).size(), size_t(303));  // no overflow of a small buffer
        QCOMPARE(num::general(0.15, 6), std::string("0.15"));
        QCOMPARE(num::general(1e6, 6), std::string("1e+06"));
        QCOMPARE(num::general(1234.5678, 12), std::string("1234.5678"));
    }

    void utf8ValidationAndLatin1()
    {
        QVERIFY(utf8::valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
        for (const char* bad : {"caf\xe9", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"})
            QVERIFY2(!utf8::valid(bad), bad);
        QCOMPARE(utf8::fromLatin1("caf\xe9 \xff"), std::string("caf\xc3\xa9 \xc3\xbf"));
        bool converted = true;
        QCOMPARE(utf8::decode("plain", &converted), std::string("plain"));
        QVERIFY(!converted);
        QCOMPARE(utf8::decode("na\xefve", &converted), std::string("na\xc3\xafve"));
        QVERIFY(converted);
    }
};

QTEST_APPLESS_MAIN(NumbersTest)
#include "tst_numbers.moc"
