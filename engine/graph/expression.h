#pragma once
// Formulas typed by a person ("1/(1+exp(-(w0*x0+w1*x1+w2)))") parsed into the
// engine's own graph: the same op nodes the trainer runs, each with its declared
// derivative formula, so the stepper walks a formula exactly as it walks a model.
//
// Grammar (usual precedence, ** binds tightest and is right-associative):
//   expr    := term (('+' | '-') term)*
//   term    := unary (('*' | '/') unary)*
//   unary   := '-' unary | power
//   power   := primary ('**' unary)?
//   primary := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'
// Functions: exp log tanh sigmoid relu max(a,b) sum(x) mean(x).
// Constants become the seed's gates: c+x -> add_scalar, a*x -> mul_scalar,
// 1/x -> reciprocal, x**p -> pow; -x -> neg.
#include <map>
#include <string>

#include "engine/core/error.h"
#include "engine/graph/graph.h"

namespace nn {

// A parse error: what() reads "column 9: expected ')' ..." followed by the
// formula and a caret under the column. what() names the command line's --set;
// a GUI words missing and unused values its own way from kind() and variable().
class ParseError : public Error {
public:
    enum class Kind { Syntax, MissingValue, UnusedValue };
    ParseError(const std::string& message, int column, Kind kind = Kind::Syntax, std::string variable = {})
        : Error(message), column_(column), kind_(kind), variable_(std::move(variable))
    {
    }
    int column() const { return column_; }  // 1-based; 0 for an unused value (not in the formula)
    Kind kind() const { return kind_; }
    // MissingValue: the first variable without a value; UnusedValue: the name given but not used.
    const std::string& variable() const { return variable_; }

private:
    int column_;
    Kind kind_;
    std::string variable_;
};

struct Expression {
    Graph graph;
    int root = -1;
    std::map<std::string, int> variables;  // name -> Variable node
};

// Every variable in the formula needs a value in `values` (scalars or tensors);
// a missing one, or a value given for a name the formula lacks, is a ParseError.
// Syntax errors come first: a formula with both reports the syntax error.
Expression parseExpression(const std::string& text, const std::map<std::string, Tensor>& values);

} // namespace nn
