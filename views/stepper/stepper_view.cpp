#include "views/stepper/stepper_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QShortcut>
#include <QTimer>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "engine/data/dataset.h"
#include "engine/graph/numeric_check.h"
#include "engine/graph/rewrite.h"
#include "engine/nn/model.h"
#include "views/stepper/graph_canvas.h"
#include "views/stepper/tensor_heatmap.h"
#include "views/training/training_session.h"

namespace views {

namespace {

// Numeric checks cost four double-precision forward passes per element: a
// graph with more variable elements than this checks a sample of each tensor.
constexpr int64_t kMaxCheckedElements = 2000;
constexpr int64_t kSampledPerVariable = 16;

const char* kSeedFormula = "1/(1+exp(-(w0*x0+w1*x1+w2)))";
const char* kSeedValues = "w0=2, x0=-1, w1=-3, x1=-2, w2=-3";

std::map<std::string, nn::Tensor> parseValues(const QString& text)
{
    std::map<std::string, nn::Tensor> out;
    for (const QString& part : text.split(',', Qt::SkipEmptyParts)) {
        const QStringList kv = part.split('=');
        bool ok = false;
        const double v = kv.size() == 2 ? kv[1].trimmed().toDouble(&ok) : 0;
        if (!ok)
            throw nn::Error("values: '" + part.trimmed().toStdString() + "' is not name=number (e.g. w0=2, x0=-1)");
        out[kv[0].trimmed().toStdString()] = nn::Tensor::scalar(float(v));
    }
    return out;
}

QString number(double v) { return QString::number(v, 'f', std::fabs(v) >= 100 ? 1 : 4); }
// Gradients in the check table: enough digits to see a 1e-4 gradient's error.
QString precise(double v) { return std::fabs(v) >= 1e-2 || v == 0 ? number(v) : QString::number(v, 'e', 4); }

// Why node `i`, the first to go non-finite, did: its op and the input values at
// the first bad element (its inputs are still finite, or another node would be first).
QString nanReason(const nn::Graph& g, int i)
{
    const nn::Node& n = g.node(i);
    int64_t bad = 0;
    while (bad < n.value.numel() && std::isfinite(n.value[bad])) ++bad;
    if (bad == n.value.numel()) bad = 0;
    auto in = [&](int k) -> double {
        const nn::Tensor& t = g.node(n.inputs[size_t(k)]).value;
        return t.numel() == n.value.numel() ? t[bad] : (t.numel() == 1 ? t[0] : NAN);
    };
    const QString at = n.value.numel() > 1 ? QObject::tr(" (element %1)").arg(bad) : QString();
    const double out = n.value[bad];
    const QString outText = std::isnan(out) ? "NaN" : out > 0 ? "+inf" : "-inf";
    QString why;
    switch (n.op) {
    case nn::OpKind::Log:
        why = in(0) == 0 ? QObject::tr("log(0) = -inf: the logarithm's input reached exactly 0")
                         : QObject::tr("log of %1 is undefined: the logarithm needs an input > 0").arg(number(in(0)));
        break;
    case nn::OpKind::Reciprocal: why = QObject::tr("1/x at x = %1: division by zero").arg(number(in(0))); break;
    case nn::OpKind::Div: why = QObject::tr("a/b with a = %1, b = %2: division by zero").arg(number(in(0)), number(in(1))); break;
    case nn::OpKind::Exp: why = QObject::tr("exp(%1) overflows float32 (largest is about exp(88.7))").arg(number(in(0))); break;
    case nn::OpKind::Pow: why = QObject::tr("a**b with a = %1, b = %2: a negative base needs a whole exponent, and 0 a positive one").arg(number(in(0)), number(in(1))); break;
    default:
        why = QObject::tr("its inputs are finite but the result is not: they are outside the op's domain or too large for float32");
    }
    return QObject::tr("NaN starts here: this node is the first whose value is %1%2. Why: %3. Every node after it inherits the %1.")
        .arg(outText, at, why);
}

} // namespace

StepperView::StepperView(TrainingSession* session, QWidget* parent) : QWidget(parent), session_(session)
{
    presets_ = new QComboBox;
    presets_->addItems({tr("Sigmoid neuron (lecture example)"), tr("c = sum(x*y + z), 3×4 tensors"),
                        tr("2-layer network on one spiral point"), tr("Loaded model on a training sample"),
                        tr("Custom formula (typed below)")});
    presets_->setToolTip(tr("Start from an example, or type any formula below"));
    formula_ = new QLineEdit(kSeedFormula);
    formula_->setObjectName("formula");
    formula_->setToolTip(tr("Numbers, variables, + - * / **, exp log tanh sigmoid relu max(a,b). Press Enter to build the graph."));
    values_ = new QLineEdit(kSeedValues);
    values_->setObjectName("values");
    values_->setToolTip(tr("A value for every variable, e.g. w0=2, x0=-1"));
    sample_ = new QSpinBox;
    sample_->setPrefix(tr("sample "));
    sample_->setRange(0, 0);
    sample_->setToolTip(tr("Which training sample the loaded model's step runs on"));
    sample_->setEnabled(false);
    connect(sample_, &QSpinBox::valueChanged, this, [this] {
        if (presets_->currentIndex() == 3) loadPreset(3);
    });
    collapse_ = new QCheckBox(tr("Collapse σ gates"));
    collapse_->setObjectName("collapse");
    collapse_->setToolTip(tr("Show 1/(1+exp(-x)) as one σ node whose local derivative is (1-σ)σ"));
    error_ = new QLabel;
    error_->setStyleSheet("color: #d62728; font-family: monospace;");
    error_->setWordWrap(true);

    auto button = [this](const QString& text, const QKeySequence& key, const QString& tip, void (StepperView::*slot)()) {
        auto* b = new QPushButton(text);
        b->setToolTip(QString("%1 (%2)").arg(tip, key.toString(QKeySequence::NativeText)));
        connect(b, &QPushButton::clicked, this, slot);
        auto* s = new QShortcut(key, this);
        s->setContext(Qt::WidgetWithChildrenShortcut);
        connect(s, &QShortcut::activated, this, slot);
        return b;
    };
    auto* stepF = new QPushButton(tr("Forward &step"));
    stepF->setToolTip(tr("Evaluate the next node (Right arrow)"));
    connect(stepF, &QPushButton::clicked, this, [this] { stepForward(); });
    auto* stepB = new QPushButton(tr("&Backward step"));
    stepB->setToolTip(tr("Send the gradient back through the next node (Left arrow)"));
    connect(stepB, &QPushButton::clicked, this, [this] { stepBackward(); });
    for (auto [key, fn] : {std::pair {QKeySequence(Qt::Key_Right), 0}, std::pair {QKeySequence(Qt::Key_Left), 1}}) {
        auto* s = new QShortcut(key, this);
        s->setContext(Qt::WidgetWithChildrenShortcut);
        connect(s, &QShortcut::activated, this, [this, fn] { fn == 0 ? (void)stepForward() : (void)stepBackward(); });
    }
    auto* runF = button(tr("Run forward"), QKeySequence(Qt::SHIFT | Qt::Key_Right), tr("Evaluate every node"), &StepperView::runForward);
    auto* runB = button(tr("Run backward"), QKeySequence(Qt::SHIFT | Qt::Key_Left), tr("Backpropagate to every leaf"), &StepperView::runBackward);
    auto* back = button(tr("Back one step"), QKeySequence(Qt::Key_Backspace), tr("Undo the last step"), &StepperView::backOneStep);
    auto* reset = button(tr("Reset"), QKeySequence(Qt::Key_Home), tr("Forget all values and gradients"), &StepperView::reset);
    stepControls_ = {stepF, stepB, runF, runB, back, reset};

    progress_ = new QLabel;
    // Wraps rather than widening the page past the window (projector mode).
    progress_->setWordWrap(true);
    progress_->setMinimumWidth(60);
    progress_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    explain_ = new QLabel(tr("Click a node to see its chain rule in numbers."));
    explain_->setWordWrap(true);
    explain_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    explain_->setMinimumHeight(60);
    checkTable_ = new QTableWidget(0, 5);
    checkTable_->setObjectName("checks");
    checkTable_->setHorizontalHeaderLabels({tr("leaf"), tr("backprop"), tr("numeric"), tr("± bound"), tr("check")});
    // Columns share the panel's width (the relative error is each row's tooltip).
    checkTable_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    checkTable_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    checkTable_->horizontalHeader()->setMinimumSectionSize(20);
    checkTable_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    checkTable_->verticalHeader()->hide();
    checkTable_->setToolTip(tr("Each leaf's gradient from backprop beside a numeric estimate: central differences "
                               "(f(x+h) − f(x−h)) / 2h at two steps, in double precision, combined by Richardson "
                               "extrapolation. ± is the estimate's own error bound. A gradient passes when it agrees "
                               "within 1% plus that bound; \"unsure\" means the bound itself is over 1% (a kink such "
                               "as relu at 0 lies within the step)."));
    checkTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    canvas_ = new GraphCanvas;
    valueMap_ = new TensorHeatmap(tr("value"));
    gradMap_ = new TensorHeatmap(tr("gradient"));
    maps_ = new QWidget;
    auto* mapsLayout = new QHBoxLayout(maps_);
    mapsLayout->setContentsMargins(0, 0, 0, 0);
    mapsLayout->addWidget(valueMap_);
    mapsLayout->addWidget(gradMap_);
    maps_->hide();

    auto* top = new QGridLayout;
    auto* pl = new QLabel(tr("&Preset"));
    pl->setBuddy(presets_);
    top->addWidget(pl, 0, 0);
    auto* presetRow = new QHBoxLayout;
    presetRow->addWidget(presets_, 1);
    presetRow->addWidget(sample_);
    presetRow->addWidget(collapse_);
    // The combo gives way, never the checkbox's text ("Co" in projector mode).
    presets_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    presets_->setMinimumContentsLength(12);
    collapse_->setSizePolicy(QSizePolicy::Minimum, QSizePolicy::Fixed);
    top->addLayout(presetRow, 0, 1, 1, 2);
    auto* fl = new QLabel(tr("&Formula"));
    fl->setBuddy(formula_);
    top->addWidget(fl, 1, 0);
    top->addWidget(formula_, 1, 1, 1, 2);
    auto* vl = new QLabel(tr("&Values"));
    vl->setBuddy(values_);
    top->addWidget(vl, 2, 0);
    top->addWidget(values_, 2, 1, 1, 2);
    top->setColumnStretch(1, 1);
    auto* controls = new QHBoxLayout;
    for (QWidget* w : {static_cast<QWidget*>(stepF), static_cast<QWidget*>(stepB), static_cast<QWidget*>(runF),
                       static_cast<QWidget*>(runB), static_cast<QWidget*>(back), static_cast<QWidget*>(reset)})
        controls->addWidget(w);
    controls->addWidget(progress_, 1);
    auto* side = new QBoxLayout(QBoxLayout::TopToBottom);
    sideLayout_ = side;
    side->addWidget(explain_);
    side->addWidget(maps_, 1);
    side->addWidget(checkTable_, 1);
    sideWidget_ = new QWidget;
    auto* sideWidget = sideWidget_;
    sideWidget->setLayout(side);
    // A graph larger than the canvas keeps its readable size and scrolls.
    auto* canvasScroll = new QScrollArea;
    canvasScroll->setWidget(canvas_);
    canvasScroll->setWidgetResizable(true);
    canvasScroll->setFrameShape(QFrame::NoFrame);
    auto* split = new QSplitter(Qt::Horizontal);
    split_ = split;
    split->addWidget(canvasScroll);
    split->addWidget(sideWidget);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    sideWidget->setMinimumWidth(360);
    split->setSizes({900, 400});
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(error_);
    layout->addLayout(controls);
    layout->addWidget(split, 1);

    connect(presets_, &QComboBox::activated, this, &StepperView::loadPreset);
    followSession();
    connect(formula_, &QLineEdit::returnPressed, this, [this] { setFormula(formula_->text(), values_->text()); });
    connect(values_, &QLineEdit::returnPressed, this, [this] { setFormula(formula_->text(), values_->text()); });
    connect(collapse_, &QCheckBox::toggled, this, &StepperView::setCollapsed);
    connect(canvas_, &GraphCanvas::nodeClicked, this, [this](int node) {
        element_ = -1;
        explain(node);
    });
    connect(valueMap_, &TensorHeatmap::elementClicked, this, &StepperView::selectElement);
    connect(gradMap_, &TensorHeatmap::elementClicked, this, &StepperView::selectElement);
    loadPreset(0);
}

StepperView::~StepperView() = default;

QString StepperView::errorText() const { return errorPlain_; }

bool StepperView::canStep() const { return graph_ && !stepControls_.isEmpty() && stepControls_.front()->isEnabled(); }

int StepperView::presetIndex() const { return presets_->currentIndex(); }

bool StepperView::setFormula(const QString& formula, const QString& assignments)
{
    // A typed formula is "Custom" unless it is the lecture example itself.
    const bool seed = formula.trimmed() == kSeedFormula && assignments.trimmed() == kSeedValues;
    presets_->setCurrentIndex(seed ? SigmoidNeuron : CustomFormula);
    sample_->setEnabled(false);
    return applyFormula(formula, assignments);
}

bool StepperView::applyFormula(const QString& formula, const QString& assignments)
{
    formula_->setText(formula);
    values_->setText(assignments);
    std::map<std::string, nn::Tensor> values;
    try {
        values = parseValues(assignments);
    } catch (const nn::Error& e) {
        clearGraph();
        showError(QString::fromUtf8(e.what()), {}, 0, values_);
        return false;
    }
    try {
        expression_ = nn::parseExpression(formula.toStdString(), values);
    } catch (const nn::ParseError& e) {
        clearGraph();
        const QString name = QString::fromStdString(e.variable());
        switch (e.kind()) {
        case nn::ParseError::Kind::MissingValue:
            showError(tr("column %1: variable '%2' has no value: add one in Values, e.g. %2=1").arg(e.column()).arg(name),
                      formula, e.column(), values_);
            break;
        case nn::ParseError::Kind::UnusedValue:
            showError(tr("Values gives '%1', which the formula does not use: remove it from Values").arg(name), {}, 0, values_);
            break;
        case nn::ParseError::Kind::Syntax:
            // what() is "column N: message", then the formula and a caret: drawn below instead.
            showError(QString::fromUtf8(e.what()).section('\n', 0, 0), formula, e.column(), formula_);
            break;
        }
        return false;
    } catch (const nn::Error& e) {
        clearGraph();
        showError(QString::fromUtf8(e.what()));
        return false;
    }
    clearError();
    isFormula_ = true;
    formulaText_ = formula;
    formulaValues_ = values;
    setCollapsed(collapse_->isChecked());
    return true;
}

void StepperView::showError(const QString& message, const QString& formula, int column, QWidget* field)
{
    clearError();
    errorColumn_ = column;
    errorPlain_ = message;
    QString html = message.toHtmlEscaped();
    if (!formula.isEmpty() && column > 0) {
        // The formula with the offending character marked, and a caret under it.
        const int at = std::min<int>(column - 1, int(formula.size()));
        const QString before = formula.left(at), mark = formula.mid(at, 1), after = formula.mid(at + 1);
        auto mono = [](const QString& t) { return t.toHtmlEscaped().replace(" ", "&nbsp;"); };
        html += "<br><span style='font-family: monospace;'>" + mono(before)
                + "<span style='background:#d62728; color:white;'>" + (mark.isEmpty() ? "&nbsp;" : mono(mark)) + "</span>"
                + mono(after) + "<br>" + QString("&nbsp;").repeated(at) + "^</span>";
        errorPlain_ += "\n" + formula + "\n" + QString(at, ' ') + "^";
    }
    error_->setText(html);
    if (field) field->setStyleSheet("QLineEdit { border: 2px solid #d62728; }");
    if (field == formula_ && column > 0) {  // the caret in the box itself, on the offending character
        const int at = std::min<int>(column - 1, int(formula_->text().size()));
        formula_->setCursorPosition(at);
        if (at < formula_->text().size()) formula_->setSelection(at, 1);
    }
}

void StepperView::clearError()
{
    error_->clear();
    errorPlain_.clear();
    errorColumn_ = 0;
    formula_->setStyleSheet({});
    values_->setStyleSheet({});
}

void StepperView::clearGraph()
{
    graph_.reset();
    root_ = -1;
    steps_ = 0;
    isFormula_ = false;
    checks_.clear();
    element_ = -1;
    canvas_->setGraph(nullptr, -1);
    maps_->hide();
    explain_->setText(tr("No graph: fix the formula (or pick a preset) to build one."));
    refresh();
}

void StepperView::setCollapsed(bool collapsed)
{
    if (!isFormula_) return;
    collapse_->setChecked(collapsed);
    // Expanding rebuilds from the formula, which has every gate written out (it
    // parsed before, with these values, so it parses again).
    nn::Expression e = collapsed ? nn::collapseSigmoids(expression_) : nn::parseExpression(formulaText_.toStdString(), formulaValues_);
    const int root = e.root;
    install(std::make_unique<nn::Graph>(std::move(e.graph)), root, formulaText_);
}

void StepperView::followSession()
{
    if (!session_) return;
    // A model or data change rebuilds the loaded-model preset (once, after the
    // change settles); new weights while training wait until the stepper is shown.
    auto changed = [this] {
        if (presetIndex() != LoadedModel) return;
        sessionStale_ = true;
        if (isVisible()) QTimer::singleShot(0, this, [this] {
                if (sessionStale_ && presetIndex() == LoadedModel) loadPreset(LoadedModel);
            });
    };
    connect(session_, &TrainingSession::modelChanged, this, changed);
    connect(session_, &TrainingSession::dataChanged, this, changed);
    connect(session_, &TrainingSession::finished, this, changed);
    connect(session_, &TrainingSession::snapshotChanged, this, [this] {
        if (presetIndex() == LoadedModel) sessionStale_ = true;
    });
}

void StepperView::showEvent(QShowEvent* e)
{
    QWidget::showEvent(e);
    if (sessionStale_ && presetIndex() == LoadedModel) loadPreset(LoadedModel);
}

void StepperView::setSampleIndex(int sample)
{
    if (presets_->currentIndex() != 3) loadPreset(3);  // learns the data set's size first
    sample_->setValue(sample);  // reloads the preset when it changes
}

int StepperView::sampleIndex() const { return sample_->value(); }

void StepperView::loadPreset(int index)
{
    presets_->setCurrentIndex(index);
    sample_->setEnabled(index == LoadedModel);
    clearError();
    if (index == SigmoidNeuron) {
        applyFormula(kSeedFormula, kSeedValues);
        return;
    }
    if (index == CustomFormula) {  // whatever the boxes hold; a preset's description does not parse
        // From a tensor or model preset (whose boxes hold descriptions), start from the lecture's formula.
        if (isFormula_) applyFormula(formulaText_, values_->text());
        else applyFormula(kSeedFormula, kSeedValues);
        return;
    }
    if (index == 1) {
        // The lecture's NumPy example: c = sum(x*y + z) on 3×4 arrays.
        std::map<std::string, nn::Tensor> v;
        nn::Rng rng(7);
        for (const char* n : {"x", "y", "z"}) {
            nn::Tensor t(nn::Shape {3, 4});
            for (int64_t i = 0; i < t.numel(); ++i) t[i] = float(std::round(rng.uniform(-2, 2) * 10) / 10);
            v[n] = t;
        }
        expression_ = nn::parseExpression("sum(x*y + z)", v);
        formula_->setText("sum(x*y + z)");
        values_->setText(tr("x, y, z: random 3×4"));
        isFormula_ = false;  // values are tensors, not the text box's scalars
        nn::Expression copy = nn::collapseSigmoids(expression_);  // a copy: there are no chains to collapse
        const int root = copy.root;
        install(std::make_unique<nn::Graph>(std::move(copy.graph)), root, "sum(x*y + z)");
        return;
    }
    isFormula_ = false;
    try {
        std::unique_ptr<nn::Model> model;
        std::vector<float> x;
        int label = 0;
        if (index == 2) {
            const auto spec = nn::ModelSpec::fromString(R"({"name": "two-layer", "input": {"shape": [2]},
                "layers": [{"id": "h1", "type": "dense", "units": 3, "activation": "tanh"},
                           {"id": "out", "type": "dense", "units": 2}], "loss": "softmax_cross_entropy"})");
            model = std::make_unique<nn::Model>(spec, std::vector<int64_t> {2}, 2);
            model->initialize(1);
            const auto spiral = nn::data::makeSpiral({100, 0.1, 1, 2});
            x.assign(spiral.sample(25), spiral.sample(25) + 2);
            label = spiral.labels[25];
        } else {
            sessionStale_ = false;
            if (!session_ || !session_->viewModel() || !session_->data() || !session_->spec()) {
                clearGraph();
                showError(tr("No model is loaded: open a model and data set in the dashboard first."));
                return;
            }
            const auto& train = session_->data()->train;
            model = std::make_unique<nn::Model>(*session_->spec(), train.sampleShape, train.numClasses);
            for (size_t i = 0; i < model->parameters().size(); ++i)
                model->parameters()[i].value.copyFrom(session_->viewModel()->parameters()[i].value);
            sample_->setRange(0, int(std::max<size_t>(train.size(), 1) - 1));
            const size_t i = size_t(sample_->value());
            x.assign(train.sample(i), train.sample(i) + train.featureCount());
            label = train.labels[i];
        }
        nn::BuiltGraph built = model->build(1, true);
        std::copy(x.begin(), x.end(), built.graph.node(built.input).value.data());
        built.graph.node(built.labels).value[0] = float(label);
        // Parameters are Variables holding the model's tensors: detach them so
        // stepping (and the numeric check) never touches a training run.
        for (int id : built.params) built.graph.node(id).value = built.graph.node(id).value.clone();
        formula_->setText(QString::fromStdString(model->spec().name) + tr(" — one training step"));
        values_->setText(index == 3 ? tr("training sample %1, label %2").arg(sample_->value()).arg(label)
                                    : tr("sample with label %1").arg(label));
        const int root = built.loss;
        install(std::make_unique<nn::Graph>(std::move(built.graph)), root, formula_->text());
    } catch (const nn::Error& e) {
        clearGraph();
        showError(QString::fromUtf8(e.what()));
    }
}

void StepperView::install(std::unique_ptr<nn::Graph> graph, int root, const QString&)
{
    graph_ = std::move(graph);
    root_ = root;
    steps_ = 0;
    updateChecks();  // runs its own passes; reset below hides their results until stepped
    reset();
    canvas_->setGraph(graph_.get(), root_);
}

void StepperView::updateChecks()
{
    checks_.clear();
    checkTable_->setRowCount(0);
    int64_t elements = 0;
    for (int v : graph_->variables()) elements += graph_->node(v).value.numel();
    const int64_t perVariable = elements > kMaxCheckedElements ? kSampledPerVariable : 0;
    for (const auto& c : nn::checkGradients(*graph_, root_, perVariable)) {  // tensors: their worst element
        Check k {QString::fromStdString(c.name), c.analytic[c.worst], c.numeric[c.worst], c.relativeError, c.pass()};
        k.bound = c.worstBound();
        k.conclusive = c.conclusive;
        k.checked = int(c.checked.size());
        k.elements = int(c.analytic.numel());
        checks_.push_back(k);
    }
}

void StepperView::reset()
{
    if (!graph_) {
        refresh();
        return;
    }
    graph_->resetForward();
    for (int i = 0; i < graph_->size(); ++i) graph_->node(i).gradReady = false;
    steps_ = 0;
    refresh();
}

bool StepperView::forwardComplete() const
{
    if (!graph_) return false;
    for (int i = graph_->forwardCursor(); i < graph_->size(); ++i)
        if (nn::opDecl(graph_->node(i).op).family != nn::OpFamily::Leaf) return false;
    return true;
}

bool StepperView::backwardComplete() const
{
    return graph_ && forwardComplete() && graph_->node(root_).gradReady && graph_->backwardCursor() < 0;
}

bool StepperView::stepForward()
{
    if (!graph_ || forwardComplete()) return false;
    graph_->stepForward();
    ++steps_;
    refresh();
    return true;
}

bool StepperView::stepBackward()
{
    if (!graph_ || !forwardComplete() || backwardComplete()) return false;
    if (!graph_->node(root_).gradReady) graph_->beginBackward(root_);
    graph_->stepBackward();
    ++steps_;
    refresh();
    return true;
}

void StepperView::runForward()
{
    while (stepForward()) {
    }
}

void StepperView::runBackward()
{
    runForward();
    while (stepBackward()) {
    }
}

void StepperView::backOneStep()
{
    const int target = std::max(0, steps_ - 1);
    reset();
    while (steps_ < target && (stepForward() || stepBackward())) {
    }
}

int StepperView::findNode(const QString& name) const
{
    return graph_ ? graph_->find(name.toStdString()) : -1;
}

void StepperView::selectNode(int node)
{
    canvas_->setSelected(node);
    element_ = -1;
    explain(node);
}

void StepperView::selectElement(int64_t element)
{
    element_ = element;
    if (canvas_->selected() >= 0) explain(canvas_->selected());
}

QString StepperView::explainElement(int i, int64_t e) const
{
    const nn::Node& n = graph_->node(i);
    const nn::OpDecl& d = nn::opDecl(n.op);
    const int64_t count = n.value.numel();
    QString text = "<br><b>" + tr("Element %1 of %2").arg(e).arg(count) + "</b>: " + tr("value %1").arg(number(n.value[e]));
    if (!n.gradReady) return text + tr("; its gradient is not known yet.");
    const double g = n.grad[e];
    text += tr("; upstream gradient %1").arg(number(g));
    if (d.family == nn::OpFamily::Leaf) return text + ".";
    for (int k = 0; k < d.arity; ++k) {
        const nn::Node& in = graph_->node(n.inputs[size_t(k)]);
        if (!in.requiresGrad) continue;
        const nn::Tensor local = graph_->localDerivative(i, k);
        const nn::Tensor product = graph_->contribution(i, k);
        const QString name = d.arity == 1 ? QString("x") : QString(QChar('a' + k));
        if (local.defined() && local.numel() == count && product.defined() && product.numel() == count) {
            text += "<br>" + tr("d out[%1] / d %2[%1] = %3; × upstream %4 = <b>%5</b>")
                                 .arg(e)
                                 .arg(name, number(local[e]), number(g), number(product[e]));
        } else {
            text += "<br>" + tr("Input %1 is not elementwise-linked (%2): every output element feeds many of its "
                                "elements; its gradient sums those chain-rule products.")
                                 .arg(name, QString::fromUtf8(d.derivative[k]).toHtmlEscaped());
        }
    }
    return text;
}

QString StepperView::explanation() const { return explain_->text(); }

void StepperView::explain(int i)
{
    if (!graph_ || i < 0 || i >= graph_->size()) return;
    const nn::Node& n = graph_->node(i);
    const nn::OpDecl& d = nn::opDecl(n.op);
    QString text;
    if (d.family == nn::OpFamily::Leaf) {
        text = tr("<b>%1</b> is a leaf with value %2.").arg(QString::fromStdString(n.name), shortTensorText(n.value));
        if (n.gradReady) text += tr(" Its gradient d output/d %1 = <b>%2</b>.").arg(QString::fromStdString(n.name), shortTensorText(n.grad));
    } else if (i >= graph_->forwardCursor()) {
        text = tr("<b>%1</b> (%2) has not been evaluated yet: step forward to reach it.").arg(QString::fromUtf8(d.symbol), d.name);
    } else {
        // Leaves by their names; intermediate values as the formula's x (or a, b).
        static const char* operand[] = {"a", "b", "c"};
        QStringList ins;
        for (int k = 0; k < d.arity; ++k) {
            const nn::Node& in = graph_->node(n.inputs[size_t(k)]);
            const bool leaf = nn::opDecl(in.op).family == nn::OpFamily::Leaf;
            const QString name = leaf ? QString::fromStdString(in.name) : d.arity == 1 ? QString("x") : QString(operand[k]);
            ins << QString("%1 = %2").arg(name, shortTensorText(in.value));
        }
        text = tr("<b>%1</b> at %2 gives %3.").arg(QString::fromUtf8(d.symbol), ins.join(", "), shortTensorText(n.value));
        for (int k = 0; k < d.arity; ++k) {
            const nn::Node& in = graph_->node(n.inputs[size_t(k)]);
            if (!in.requiresGrad) continue;
            text += "<br>" + tr("Local derivative %1 = %2").arg(QString::fromUtf8(d.derivative[k]).toHtmlEscaped(), shortTensorText(graph_->localDerivative(i, k)));
            if (n.gradReady)
                text += tr("; upstream gradient %1; product <b>%2</b>").arg(shortTensorText(n.grad), shortTensorText(graph_->contribution(i, k)));
        }
        if (!n.gradReady) text += "<br>" + tr("The upstream gradient is not known yet: step backward to reach this node.");
    }
    const int bad = graph_->firstNonFinite();
    if (bad == i) text += "<br><span style='color:#d62728'>" + nanReason(*graph_, i) + "</span>";
    const bool evaluated = d.family == nn::OpFamily::Leaf || i < graph_->forwardCursor();
    const bool tensor = evaluated && n.value.defined() && n.value.numel() > 1;
    maps_->setVisible(tensor);
    if (tensor) {
        valueMap_->setTensor(n.value);
        gradMap_->setTensor(n.gradReady ? n.grad : nn::Tensor(), tr("not known yet: step backward to reach this node"));
        valueMap_->setSelected(element_);
        gradMap_->setSelected(element_);
        if (element_ >= 0 && element_ < n.value.numel()) text += explainElement(i, element_);
    }
    explain_->setText(text);
}

void StepperView::refresh()
{
    const int total = graph_ ? graph_->size() : 0;
    int evaluated = 0;
    if (graph_)
        for (int i = 0; i < std::min(graph_->forwardCursor(), total); ++i)
            evaluated += nn::opDecl(graph_->node(i).op).family != nn::OpFamily::Leaf;
    progress_->setText(backwardComplete() ? tr("backward complete · %1 steps").arg(steps_)
                       : forwardComplete() ? tr("forward complete · step backward")
                                           : tr("forward: %1 nodes evaluated").arg(evaluated));
    for (QWidget* w : stepControls_) w->setEnabled(graph_ != nullptr);
    checkTable_->setRowCount(0);
    if (backwardComplete()) {
        checkTable_->setRowCount(checks_.size());
        for (int r = 0; r < checks_.size(); ++r) {
            const Check& c = checks_[r];
            const QString name = c.checked < c.elements ? tr("%1 (%2 of %3)").arg(c.name).arg(c.checked).arg(c.elements) : c.name;
            const QString verdict = !c.pass ? QString::fromUtf8("✘ FAIL") : c.conclusive ? QString::fromUtf8("✔ pass") : tr("? unsure");
            const QStringList cells {name, precise(c.analytic), precise(c.numeric), QString::number(c.bound, 'e', 0), verdict};
            const QString tip = tr("%1: backprop %2, numeric %3 ± %4 (the estimate's error bound); relative error %5")
                                    .arg(name, QString::number(c.analytic, 'g', 8), QString::number(c.numeric, 'g', 8),
                                         QString::number(c.bound, 'e', 1), QString::number(c.relativeError, 'e', 1));
            for (int col = 0; col < cells.size(); ++col) {
                auto* item = new QTableWidgetItem(cells[col]);
                item->setToolTip(tip);
                if (col == 4)
                    item->setForeground(!c.pass ? QColor(0xd6, 0x27, 0x28) : c.conclusive ? QColor(0x2e, 0x9e, 0x44) : QColor(0xb3, 0x6b, 0x00));
                checkTable_->setItem(r, col, item);
            }
        }
    }
    // Below the graph (projector mode) the table asks for room for its rows (up to 6), not to be cut.
    const int rows = std::clamp(int(checkTable_->rowCount()), 2, 6);
    checkTable_->setMinimumHeight(projector_ ? checkTable_->horizontalHeader()->sizeHint().height()
                                                   + rows * checkTable_->verticalHeader()->defaultSectionSize() + 6
                                             : 0);
    if (canvas_->selected() >= 0) explain(canvas_->selected());
    canvas_->update();
    emit stepped();
}

void StepperView::setUiScale(double scale)
{
    // Projected, the graph gets the page's whole width and the explanation and
    // check table sit side by side below it; on a desk they stand beside the graph.
    const bool projector = scale > 1.25;
    split_->setOrientation(projector ? Qt::Vertical : Qt::Horizontal);
    sideLayout_->setDirection(projector ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom);
    sideWidget_->setMinimumWidth(projector ? 0 : 360);
    // The check table's five columns need this much at the scale's font.
    checkTable_->setMinimumWidth(int(260 * scale));
    split_->setSizes(projector ? QList<int> {500, 360} : QList<int> {900, 400});
    projector_ = projector;
    canvas_->setUiScale(scale);
    QFont f = font();
    f.setPointSizeF(QFont().pointSizeF() * scale);
    setFont(f);
}

} // namespace views
