#pragma once
// Starting points for the builder: logistic regression, the Playground MLP,
// LeNet-300-100, LeNet-5 and a small ResNet block. The sample specs in assets/
// are read from there, so a template is the same network the CLI trains.
#include <QString>
#include <vector>

#include <nlohmann/json.hpp>

namespace views::builder {

struct Template {
    QString title;
    QString tip;
    nlohmann::json spec;  // a model spec, as ModelSpec::fromJson reads it
};

// Throws nn::Error if a bundled sample spec is missing or unreadable.
std::vector<Template> templates();

} // namespace views::builder
