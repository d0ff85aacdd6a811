#include "engine/graph/expression.h"

#include <cctype>
#include <cmath>
#include <optional>
#include <set>
#include <vector>

namespace nn {

namespace {

struct Token {
    enum Kind { Number, Name, Op, End } kind = End;
    std::string text;
    double number = 0;
    int column = 1;  // 1-based
};

std::vector<Token> tokenize(const std::string& s, const std::string& formula);

[[noreturn]] void fail(const std::string& formula, int column, const std::string& message,
                       ParseError::Kind kind = ParseError::Kind::Syntax, const std::string& variable = {})
{
    throw ParseError("column " + std::to_string(column) + ": " + message + "\n  " + formula + "\n  "
                         + std::string(size_t(std::max(0, column - 1)), ' ') + "^",
                     column, kind, variable);
}

std::vector<Token> tokenize(const std::string& s, const std::string& formula)
{
    std::vector<Token> out;
    size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        const int column = int(i) + 1;
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
            size_t used = 0;
            const double v = std::stod(s.substr(i), &used);
            out.push_back({Token::Number, s.substr(i, used), v, column});
            i += used;
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            size_t j = i;
            while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
            out.push_back({Token::Name, s.substr(i, j - i), 0, column});
            i = j;
        } else if (c == '*' && i + 1 < s.size() && s[i + 1] == '*') {
            out.push_back({Token::Op, "**", 0, column});
            i += 2;
        } else if (std::string("+-*/(),").find(c) != std::string::npos) {
            out.push_back({Token::Op, std::string(1, c), 0, column});
            ++i;
        } else {
            fail(formula, column, std::string("unexpected character '") + c + "'");
        }
    }
    out.push_back({Token::End, "", 0, int(s.size()) + 1});
    return out;
}

// A parsed sub-expression: either a compile-time constant or a graph node.
struct Value {
    std::optional<double> constant;
    int node = -1;
};

class Parser {
public:
    Parser(const std::string& text, const std::map<std::string, Tensor>& values, Expression& e)
        : text_(text), tokens_(tokenize(text, text)), values_(values), e_(e)
    {
    }

    void parse()
    {
        if (tokens_.front().kind == Token::End) fail(text_, 1, "the formula is empty");
        Value v = expr();
        if (peek().kind != Token::End) fail(text_, peek().column, "unexpected '" + peek().text + "' after a complete formula");
        if (v.constant) fail(text_, 1, "the formula has no variables; use at least one, e.g. x*2");
        failIfMissing();
        e_.root = v.node;
        for (const auto& [name, value] : values_)
            if (!e_.variables.count(name))
                throw ParseError("--set gives a value for '" + name + "', which the formula does not use", 0,
                                 ParseError::Kind::UnusedValue, name);
    }

private:
    const Token& peek() const { return tokens_[pos_]; }
    bool accept(const char* op)
    {
        if (peek().kind == Token::Op && peek().text == op) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect(const char* op)
    {
        if (!accept(op))
            fail(text_, peek().column, std::string("expected '") + op + "' but found "
                                           + (peek().kind == Token::End ? std::string("the end of the formula") : "'" + peek().text + "'"));
    }

    Graph& g() { return e_.graph; }
    int scalarOp(OpKind op, int in, float s)
    {
        OpAttrs a;
        a.scalar = s;
        return g().apply(op, {in}, a);
    }
    int binary(OpKind op, int a, int b, int column)
    {
        try {
            return g().apply(op, {a, b});
        } catch (const Error& err) {
            failIfMissing();  // a stand-in scalar for a missing value may be what does not fit
            fail(text_, column, err.what());
        }
    }
    // A variable without a value is reported after the whole formula parsed, so a
    // syntax error later in it is not hidden behind the missing value.
    void failIfMissing()
    {
        if (missing_.empty()) return;
        fail(text_, missingColumn_, "variable '" + missing_ + "' has no value; give one with --set " + missing_ + "=…",
             ParseError::Kind::MissingValue, missing_);
    }

    Value expr()
    {
        Value v = term();
        for (;;) {
            const int column = peek().column;
            if (accept("+")) v = add(v, term(), column);
            else if (accept("-")) v = sub(v, term(), column);
            else return v;
        }
    }

    Value term()
    {
        Value v = unary();
        for (;;) {
            const int column = peek().column;
            if (accept("*")) v = mul(v, unary(), column);
            else if (accept("/")) v = div(v, unary(), column);
            else return v;
        }
    }

    Value unary()
    {
        if (accept("-")) {
            Value v = unary();
            if (v.constant) return {-*v.constant, -1};
            return {std::nullopt, g().apply(OpKind::Neg, {v.node})};
        }
        return power();
    }

    Value power()
    {
        Value base = primary();
        const int column = peek().column;
        if (!accept("**")) return base;
        Value exponent = unary();
        if (base.constant && exponent.constant) return {std::pow(*base.constant, *exponent.constant), -1};
        if (exponent.constant) return {std::nullopt, scalarOp(OpKind::Pow, base.node, float(*exponent.constant))};
        if (base.constant) {  // c**x = exp(x * log c)
            if (*base.constant <= 0) fail(text_, column, "a constant base of ** must be positive when the exponent varies");
            return {std::nullopt, g().apply(OpKind::Exp, {scalarOp(OpKind::MulScalar, exponent.node, float(std::log(*base.constant)))})};
        }
        fail(text_, column, "** needs a constant base or a constant exponent (write exp(y*log(x)) for x**y)");
    }

    Value primary()
    {
        const Token t = peek();
        if (t.kind == Token::Number) {
            ++pos_;
            return {t.number, -1};
        }
        if (t.kind == Token::Op && t.text == "(") {
            ++pos_;
            Value v = expr();
            expect(")");
            return v;
        }
        if (t.kind == Token::Name) {
            ++pos_;
            if (accept("(")) return call(t);
            return variable(t);
        }
        fail(text_, t.column, t.kind == Token::End ? "the formula ends too early: expected a number, a name or '('"
                                                   : "expected a number, a name or '(' but found '" + t.text + "'");
    }

    Value variable(const Token& t)
    {
        if (t.text == "e") return {std::exp(1.0), -1};
        if (t.text == "pi") return {3.141592653589793, -1};
        auto it = e_.variables.find(t.text);
        if (it != e_.variables.end()) return {std::nullopt, it->second};
        auto v = values_.find(t.text);
        if (v == values_.end() && missing_.empty()) {
            missing_ = t.text;
            missingColumn_ = t.column;
        }
        // A missing value parses on as a scalar 0 (failIfMissing reports it at the end).
        const int node = g().addVariable(t.text, v == values_.end() ? Tensor::scalar(0) : v->second.clone());
        e_.variables[t.text] = node;
        return {std::nullopt, node};
    }

    Value call(const Token& f)
    {
        std::vector<Value> args {expr()};
        std::vector<int> columns {f.column};
        while (accept(",")) {
            columns.push_back(peek().column);
            args.push_back(expr());
        }
        expect(")");
        static const std::map<std::string, OpKind> unaryFns {{"exp", OpKind::Exp},         {"log", OpKind::Log},
                                                            {"tanh", OpKind::Tanh},       {"sigmoid", OpKind::Sigmoid},
                                                            {"relu", OpKind::Relu},       {"sum", OpKind::Sum},
                                                            {"mean", OpKind::Mean}};
        if (f.text == "max") {
            if (args.size() != 2) fail(text_, f.column, "max takes two arguments, got " + std::to_string(args.size()));
            if (args[0].constant && args[1].constant) return {std::max(*args[0].constant, *args[1].constant), -1};
            return {std::nullopt, binary(OpKind::Max, node(args[0], args[1]), node(args[1], args[0]), f.column)};
        }
        auto it = unaryFns.find(f.text);
        if (it == unaryFns.end())
            fail(text_, f.column, "unknown function '" + f.text + "' (known: exp, log, tanh, sigmoid, relu, max, sum, mean)");
        if (args.size() != 1) fail(text_, f.column, f.text + " takes one argument, got " + std::to_string(args.size()));
        if (args[0].constant) {
            const double x = *args[0].constant;
            if (f.text == "exp") return {std::exp(x), -1};
            if (f.text == "log") return {std::log(x), -1};
            if (f.text == "tanh") return {std::tanh(x), -1};
            if (f.text == "sigmoid") return {1.0 / (1.0 + std::exp(-x)), -1};
            if (f.text == "relu") return {std::max(0.0, x), -1};
            return {x, -1};
        }
        return {std::nullopt, g().apply(it->second, {args[0].node})};
    }

    // A constant used beside a tensor node becomes a Constant node of its shape.
    int node(const Value& v, const Value& other)
    {
        if (!v.constant) return v.node;
        const Shape s = other.constant ? Shape {} : g().node(other.node).value.shape();
        return g().addConstant(std::to_string(*v.constant), Tensor::full(s, float(*v.constant)));
    }

    Value add(const Value& a, const Value& b, int column)
    {
        if (a.constant && b.constant) return {*a.constant + *b.constant, -1};
        if (a.constant) return {std::nullopt, scalarOp(OpKind::AddScalar, b.node, float(*a.constant))};
        if (b.constant) return {std::nullopt, scalarOp(OpKind::AddScalar, a.node, float(*b.constant))};
        return {std::nullopt, binary(OpKind::Add, a.node, b.node, column)};
    }
    Value sub(const Value& a, const Value& b, int column)
    {
        if (a.constant && b.constant) return {*a.constant - *b.constant, -1};
        if (b.constant) return {std::nullopt, scalarOp(OpKind::AddScalar, a.node, float(-*b.constant))};
        if (a.constant) return {std::nullopt, scalarOp(OpKind::AddScalar, g().apply(OpKind::Neg, {b.node}), float(*a.constant))};
        return {std::nullopt, binary(OpKind::Sub, a.node, b.node, column)};
    }
    Value mul(const Value& a, const Value& b, int column)
    {
        if (a.constant && b.constant) return {*a.constant * *b.constant, -1};
        if (a.constant) return {std::nullopt, scalarOp(OpKind::MulScalar, b.node, float(*a.constant))};
        if (b.constant) return {std::nullopt, scalarOp(OpKind::MulScalar, a.node, float(*b.constant))};
        return {std::nullopt, binary(OpKind::Mul, a.node, b.node, column)};
    }
    Value div(const Value& a, const Value& b, int column)
    {
        if (b.constant && *b.constant == 0.0) fail(text_, column, "division by the constant zero");
        if (a.constant && b.constant) return {*a.constant / *b.constant, -1};
        if (b.constant) return {std::nullopt, scalarOp(OpKind::MulScalar, a.node, float(1.0 / *b.constant))};
        if (a.constant) {
            const int r = g().apply(OpKind::Reciprocal, {b.node});
            return {std::nullopt, *a.constant == 1.0 ? r : scalarOp(OpKind::MulScalar, r, float(*a.constant))};
        }
        return {std::nullopt, binary(OpKind::Div, a.node, b.node, column)};
    }

    const std::string& text_;
    std::vector<Token> tokens_;
    size_t pos_ = 0;
    std::string missing_;  // the first variable without a value
    int missingColumn_ = 0;
    const std::map<std::string, Tensor>& values_;
    Expression& e_;
};

} // namespace

Expression parseExpression(const std::string& text, const std::map<std::string, Tensor>& values)
{
    Expression e;
    Parser(text, values, e).parse();
    return e;
}

} // namespace nn
