#pragma once
// ImGuiHost: a QOpenGLWidget that hosts one Dear ImGui context. Subclasses draw
// their panel in drawUi(), which runs once per frame. Qt's mouse, wheel, key and
// text events are forwarded (ImGui 1.86's old KeysDown/KeyMap API), presses that
// arrive between two frames are latched so none is lost, the framebuffer follows
// the device-pixel ratio, and fonts follow setUiScale() (projector mode).
// Frames are drawn only on demand: after input, on requestUpdate(), or
// continuously while setAnimating(true).
#include <QOpenGLFunctions>
#include <QOpenGLWidget>
#include <QElapsedTimer>
#include <array>

struct ImGuiContext;

namespace views {

class ImGuiHost : public QOpenGLWidget, protected QOpenGLFunctions {
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

protected:
    virtual void drawUi() = 0;

    void initializeGL() override;
    void resizeGL(int w, int h) override;
    void paintGL() override;

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
};

} // namespace views
