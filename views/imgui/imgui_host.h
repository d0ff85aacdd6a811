#pragma once
// ImGuiHost: a widget that hosts one Dear ImGui context. Subclasses draw
// their panel in drawUi(), which runs once per frame. Qt's mouse, wheel, key and
// text events are forwarded (ImGui 1.86's old KeysDown/KeyMap API), presses that
// arrive between two frames are latched so none is lost, the framebuffer follows
// the device-pixel ratio, and fonts follow setUiScale() (projector mode).
// Frames are drawn only on demand: after input, on requestUpdate(), or
// continuously while setAnimating(true).
//
// ImGui renders with OpenGL into an offscreen framebuffer that paintEvent draws
// as an image: a plain QWidget, not a QOpenGLWidget. One QOpenGLWidget turns the
// whole top-level window into a GL-composited one, and with software GL (Mesa
// llvmpipe, projectors and VMs) every repaint of any widget, a status-bar label
// included, then recomposes the full window: tens of ms per frame and per resize
// step (bench_ui_latency long-run and resize scenarios).
#include <QElapsedTimer>
#include <QImage>
#include <QOpenGLFunctions>
#include <QWidget>
#include <array>
#include <memory>

class QOffscreenSurface;
class QOpenGLContext;
class QOpenGLFramebufferObject;

struct ImGuiContext;

namespace views {

class ImGuiHost : public QWidget, protected QOpenGLFunctions {
    Q_OBJECT
public:
    explicit ImGuiHost(QWidget* parent = nullptr);
    ~ImGuiHost() override;

    // 1.0 normal, 2.0 projector mode. Rebuilds the font atlas at the new size.
    void setUiScale(float scale);
    float uiScale() const { return scale_; }
    // Redraw every frame (while training) or only when something changes.
    void setAnimating(bool on);
    // Frames drawn so far (tests use it to see that the panel really renders).
    int frameCount() const { return frames_; }
    // Renders a frame now and returns it (tests; what QWidget::grab shows too).
    QImage grabFramebuffer();
    // False when no OpenGL context could be made (the panel then says so).
    bool glAvailable() const { return glFailed_.isEmpty(); }

protected:
    virtual void drawUi() = 0;

    void paintEvent(QPaintEvent* e) override;
    void resizeEvent(QResizeEvent* e) override;

    bool event(QEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void keyReleaseEvent(QKeyEvent* e) override;
    void leaveEvent(QEvent* e) override;

private:
    void makeCurrentContext();
    bool ensureGL();      // the offscreen context and ImGui's GL backend, made once
    void renderFrame();   // one ImGui frame into frame_
    void rebuildFonts();
    void shutdown();
    void setKey(int qtKey, bool down);
    void scheduleFrame();

    ImGuiContext* ctx_ = nullptr;
    bool backendReady_ = false;
    bool fontsDirty_ = true;
    float scale_ = 1.0f;
    bool animating_ = false;
    int frames_ = 0;
    QElapsedTimer clock_;
    // Latched input: a press seen since the last frame stays "down" for one frame.
    std::array<bool, 5> mouseDown_ {};
    std::array<bool, 5> mousePressedSinceFrame_ {};
    std::array<bool, 512> keyDown_ {};
    std::array<bool, 512> keyPressedSinceFrame_ {};
    int pendingFrames_ = 0;
    std::unique_ptr<QOffscreenSurface> surface_;
    std::unique_ptr<QOpenGLContext> gl_;
    std::unique_ptr<QOpenGLFramebufferObject> fbo_;
    QString glFailed_;  // why there is no context; empty while fine
    QImage frame_;      // the last frame rendered, drawn by paintEvent
};

} // namespace views
