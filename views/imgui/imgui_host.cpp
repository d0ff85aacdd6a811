#include "views/imgui/imgui_host.h"

#include <QGuiApplication>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLFramebufferObject>
#include <QPainter>
#include <QTimer>
#include <QWheelEvent>

#include <imgui.h>
#include <backends/imgui_impl_opengl3.h>

namespace views {

namespace {

// Qt's special keys are >= 0x01000000; ImGui 1.86 indexes KeysDown[512].
// Printable keys keep their (ASCII) code; special keys go to 256 + their ImGuiKey.
int slotFor(int qtKey)
{
    switch (qtKey) {
    case Qt::Key_Tab: return 256 + ImGuiKey_Tab;
    case Qt::Key_Left: return 256 + ImGuiKey_LeftArrow;
    case Qt::Key_Right: return 256 + ImGuiKey_RightArrow;
    case Qt::Key_Up: return 256 + ImGuiKey_UpArrow;
    case Qt::Key_Down: return 256 + ImGuiKey_DownArrow;
    case Qt::Key_PageUp: return 256 + ImGuiKey_PageUp;
    case Qt::Key_PageDown: return 256 + ImGuiKey_PageDown;
    case Qt::Key_Home: return 256 + ImGuiKey_Home;
    case Qt::Key_End: return 256 + ImGuiKey_End;
    case Qt::Key_Insert: return 256 + ImGuiKey_Insert;
    case Qt::Key_Delete: return 256 + ImGuiKey_Delete;
    case Qt::Key_Backspace: return 256 + ImGuiKey_Backspace;
    case Qt::Key_Space: return 256 + ImGuiKey_Space;
    case Qt::Key_Return: return 256 + ImGuiKey_Enter;
    case Qt::Key_Enter: return 256 + ImGuiKey_KeyPadEnter;
    case Qt::Key_Escape: return 256 + ImGuiKey_Escape;
    default: break;
    }
    if (qtKey >= 0 && qtKey < 256) return qtKey;
    return -1;
}

int mouseIndex(Qt::MouseButton b)
{
    switch (b) {
    case Qt::LeftButton: return 0;
    case Qt::RightButton: return 1;
    case Qt::MiddleButton: return 2;
    default: return -1;
    }
}

} // namespace

ImGuiHost::ImGuiHost(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    IMGUI_CHECKVERSION();
    ImGuiContext* previous = ImGui::GetCurrentContext();
    ctx_ = ImGui::CreateContext();
    ImGui::SetCurrentContext(ctx_);
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no stray imgui.ini next to the user's files
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    for (int k = 0; k < ImGuiKey_COUNT; ++k) io.KeyMap[k] = 256 + k;
    io.KeyMap[ImGuiKey_A] = 'A';
    io.KeyMap[ImGuiKey_C] = 'C';
    io.KeyMap[ImGuiKey_V] = 'V';
    io.KeyMap[ImGuiKey_X] = 'X';
    io.KeyMap[ImGuiKey_Y] = 'Y';
    io.KeyMap[ImGuiKey_Z] = 'Z';
    ImGui::StyleColorsDark();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0.0f;
    style.FrameRounding = 3.0f;
    style.WindowBorderSize = 0.0f;
    ImGui::SetCurrentContext(previous);
    setAttribute(Qt::WA_OpaquePaintEvent);  // the frame covers every pixel
    clock_.start();
}

ImGuiHost::~ImGuiHost()
{
    shutdown();
    if (ctx_) ImGui::DestroyContext(ctx_);
}

void ImGuiHost::makeCurrentContext() { ImGui::SetCurrentContext(ctx_); }

void ImGuiHost::shutdown()
{
    if (!gl_) return;
    gl_->makeCurrent(surface_.get());
    fbo_.reset();  // GL objects go while their context is current
    if (backendReady_) {
        makeCurrentContext();
        ImGui_ImplOpenGL3_Shutdown();
        backendReady_ = false;
    }
    gl_->doneCurrent();
    gl_.reset();
    surface_.reset();
}

void ImGuiHost::setUiScale(float scale)
{
    if (scale == scale_) return;
    scale_ = scale;
    fontsDirty_ = true;
    makeCurrentContext();
    ImGuiStyle fresh;
    ImGui::StyleColorsDark(&fresh);
    fresh.WindowRounding = 0.0f;
    fresh.FrameRounding = 3.0f;
    fresh.WindowBorderSize = 0.0f;
    fresh.ScaleAllSizes(scale);
    ImGui::GetStyle() = fresh;
    scheduleFrame();
}

void ImGuiHost::setAnimating(bool on)
{
    animating_ = on;
    scheduleFrame();
}

void ImGuiHost::scheduleFrame()
{
    pendingFrames_ = std::max(pendingFrames_, 2);  // ImGui needs a second frame to settle layout
    update();
}

bool ImGuiHost::ensureGL()
{
    if (backendReady_) return gl_->makeCurrent(surface_.get());
    if (!glFailed_.isEmpty()) return false;
    surface_ = std::make_unique<QOffscreenSurface>();
    surface_->create();
    gl_ = std::make_unique<QOpenGLContext>();
    if (QOpenGLContext* shared = QOpenGLContext::globalShareContext()) gl_->setFormat(shared->format());
    if (!surface_->isValid() || !gl_->create() || !gl_->makeCurrent(surface_.get())) {
        glFailed_ = tr("OpenGL is not available: this panel cannot be drawn.");
        gl_.reset();
        surface_.reset();
        return false;
    }
    initializeOpenGLFunctions();
    makeCurrentContext();
    const bool core = gl_->format().profile() == QSurfaceFormat::CoreProfile;
    ImGui_ImplOpenGL3_Init(core ? "#version 330 core" : "#version 130");
    backendReady_ = true;
    fontsDirty_ = true;
    return true;
}

void ImGuiHost::rebuildFonts()
{
    ImGuiIO& io = ImGui::GetIO();
    const float dpr = float(devicePixelRatioF());
    io.Fonts->Clear();
    ImFontConfig cfg;
    cfg.SizePixels = 15.0f * scale_ * dpr;  // rasterise at device pixels for sharp text
    io.Fonts->AddFontDefault(&cfg);
    io.FontGlobalScale = 1.0f / dpr;
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
    fontsDirty_ = false;
}

void ImGuiHost::resizeEvent(QResizeEvent* e)
{
    QWidget::resizeEvent(e);
    scheduleFrame();
}

void ImGuiHost::paintEvent(QPaintEvent*)
{
    renderFrame();
    QPainter p(this);
    if (frame_.isNull()) {
        p.fillRect(rect(), palette().window());
        p.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, glFailed_);
        return;
    }
    p.drawImage(QRect(QPoint(0, 0), size()), frame_);
}

QImage ImGuiHost::grabFramebuffer()
{
    renderFrame();
    return frame_;
}

void ImGuiHost::renderFrame()
{
    if (width() <= 0 || height() <= 0 || !ensureGL()) {
        frame_ = QImage();
        return;
    }
    makeCurrentContext();
    if (fontsDirty_) rebuildFonts();
    ImGuiIO& io = ImGui::GetIO();
    const float dpr = float(devicePixelRatioF());
    const QSize pixels(std::max(1, int(width() * dpr)), std::max(1, int(height() * dpr)));
    if (!fbo_ || fbo_->size() != pixels) fbo_ = std::make_unique<QOpenGLFramebufferObject>(pixels);
    fbo_->bind();
    io.DisplaySize = ImVec2(float(width()), float(height()));
    io.DisplayFramebufferScale = ImVec2(dpr, dpr);
    const double elapsed = clock_.nsecsElapsed() / 1e9;
    clock_.restart();
    io.DeltaTime = float(std::max(elapsed, 1e-4));  // Debian's ImGui asserts DeltaTime > 0

    // Apply latched presses: a press+release between frames still registers.
    for (size_t i = 0; i < mouseDown_.size(); ++i) {
        io.MouseDown[i] = mouseDown_[i] || mousePressedSinceFrame_[i];
        mousePressedSinceFrame_[i] = false;
    }
    for (size_t i = 0; i < keyDown_.size(); ++i) {
        io.KeysDown[i] = keyDown_[i] || keyPressedSinceFrame_[i];
        keyPressedSinceFrame_[i] = false;
    }

    ImGui_ImplOpenGL3_NewFrame();
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGui::Begin("##host", nullptr,
                 ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove
                     | ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoBringToFrontOnFocus);
    drawUi();
    ImGui::End();
    ImGui::Render();

    glViewport(0, 0, pixels.width(), pixels.height());
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(bg.x, bg.y, bg.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    frame_ = fbo_->toImage();  // flipped to top-down rows
    frame_.setDevicePixelRatio(dpr);
    fbo_->release();
    gl_->doneCurrent();
    ++frames_;

    if (pendingFrames_ > 0) --pendingFrames_;
    if (animating_ || pendingFrames_ > 0 || io.WantTextInput)
        QTimer::singleShot(animating_ ? 16 : 0, this, [this] { update(); });
}

bool ImGuiHost::event(QEvent* e)
{
    // Qt takes Tab for focus changes before keyPressEvent; ImGui wants it.
    if (e->type() == QEvent::KeyPress || e->type() == QEvent::KeyRelease) {
        auto* k = static_cast<QKeyEvent*>(e);
        if (k->key() == Qt::Key_Tab || k->key() == Qt::Key_Backtab) {
            setKey(Qt::Key_Tab, e->type() == QEvent::KeyPress);
            return true;
        }
    }
    return QWidget::event(e);
}

void ImGuiHost::mousePressEvent(QMouseEvent* e)
{
    const int i = mouseIndex(e->button());
    if (i >= 0) {
        mouseDown_[size_t(i)] = true;
        mousePressedSinceFrame_[size_t(i)] = true;
    }
    mouseMoveEvent(e);
}

void ImGuiHost::mouseReleaseEvent(QMouseEvent* e)
{
    const int i = mouseIndex(e->button());
    if (i >= 0) mouseDown_[size_t(i)] = false;
    mouseMoveEvent(e);
}

void ImGuiHost::mouseMoveEvent(QMouseEvent* e)
{
    makeCurrentContext();
    ImGui::GetIO().MousePos = ImVec2(float(e->position().x()), float(e->position().y()));
    scheduleFrame();
}

void ImGuiHost::leaveEvent(QEvent*)
{
    makeCurrentContext();
    ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    scheduleFrame();
}

void ImGuiHost::wheelEvent(QWheelEvent* e)
{
    makeCurrentContext();
    ImGuiIO& io = ImGui::GetIO();
    io.MouseWheel += float(e->angleDelta().y()) / 120.0f;
    io.MouseWheelH += float(e->angleDelta().x()) / 120.0f;
    scheduleFrame();
}

void ImGuiHost::setKey(int qtKey, bool down)
{
    makeCurrentContext();
    ImGuiIO& io = ImGui::GetIO();
    const int slot = slotFor(qtKey);
    if (slot >= 0) {
        keyDown_[size_t(slot)] = down;
        if (down) keyPressedSinceFrame_[size_t(slot)] = true;
    }
    const auto mods = QGuiApplication::keyboardModifiers();
    io.KeyCtrl = mods & Qt::ControlModifier;
    io.KeyShift = mods & Qt::ShiftModifier;
    io.KeyAlt = mods & Qt::AltModifier;
    scheduleFrame();
}

void ImGuiHost::keyPressEvent(QKeyEvent* e)
{
    setKey(e->key(), true);
    const QString text = e->text();
    if (!text.isEmpty() && text.at(0).isPrint()) ImGui::GetIO().AddInputCharactersUTF8(text.toUtf8().constData());
}

void ImGuiHost::keyReleaseEvent(QKeyEvent* e)
{
    if (e->isAutoRepeat()) return;
    setKey(e->key(), false);
}

} // namespace views
