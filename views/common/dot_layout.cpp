#include "views/common/dot_layout.h"

#include "engine/core/numbers.h"

#include <cmath>
#include <cstdio>
#include <string>

// Graphviz's headers define many short macros (ND_*, ED_*, MAX, ...): included
// last, and only here.
#include <graphviz/gvc.h>

extern "C" {
extern gvplugin_library_t gvplugin_dot_layout_LTX_library;
}

namespace views {

namespace {

// One context for the process, with the dot layout linked in rather than found
// through Graphviz's plugin configuration file at run time.
GVC_t* context()
{
    static lt_symlist_t builtins[] = {{"gvplugin_dot_layout_LTX_library", &gvplugin_dot_layout_LTX_library},
                                      {nullptr, nullptr}};
    static GVC_t* gvc = gvContextPlugins(builtins, 0);
    return gvc;
}

// Graphviz reads "0.5", whatever the locale (QCoreApplication sets LC_NUMERIC from
// the environment: "0,5" in de_DE), so numbers go through the engine's helper.
std::string number(double v) { return nn::num::fixed(v, 4); }
// dot takes node sizes and gaps in inches; we lay out in pixels at 72 per inch.
std::string inches(double px) { return number(std::max(px, 1.0) / 72.0); }
std::string gapInches(double px) { return number(std::max(px, 0.0) / 72.0); }

void set(void* object, const char* name, const std::string& value)
{
    agsafeset(object, const_cast<char*>(name), const_cast<char*>(value.c_str()), const_cast<char*>(""));
}

struct Graph {
    Agraph_t* g;
    explicit Graph(const char* name) : g(agopen(const_cast<char*>(name), Agdirected, nullptr)) {}
    ~Graph()
    {
        if (g) agclose(g);
    }
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;
};

} // namespace

DotLayout layoutWithDot(const DotGraph& in)
{
    DotLayout out;
    GVC_t* gvc = context();
    if (!gvc) {
        out.error = QStringLiteral("Graphviz could not start (gvContextPlugins failed)");
        return out;
    }
    Graph graph("g");
    Agraph_t* g = graph.g;
    set(g, "rankdir", in.leftToRight ? "LR" : "TB");
    set(g, "nodesep", gapInches(in.nodeGap));
    set(g, "ranksep", gapInches(in.rankGap));
    if (in.keepInputOrder) set(g, "ordering", "in");
    agattr(g, AGNODE, const_cast<char*>("shape"), const_cast<char*>("box"));
    agattr(g, AGNODE, const_cast<char*>("fixedsize"), const_cast<char*>("true"));
    agattr(g, AGNODE, const_cast<char*>("label"), const_cast<char*>(""));
    agattr(g, AGNODE, const_cast<char*>("margin"), const_cast<char*>("0"));
    Agsym_t* label = agattr(g, AGEDGE, const_cast<char*>("label"), const_cast<char*>(""));

    std::vector<Agnode_t*> nodes;
    for (int i = 0; i < in.nodes.size(); ++i) {
        char name[24];
        std::snprintf(name, sizeof name, "n%d", i);
        Agnode_t* n = agnode(g, name, 1);
        set(n, "width", inches(in.nodes[i].width()));
        set(n, "height", inches(in.nodes[i].height()));
        nodes.push_back(n);
    }
    std::vector<Agedge_t*> edges;
    for (int i = 0; i < in.edges.size(); ++i) {
        const DotGraph::Edge& e = in.edges[i];
        if (e.from < 0 || e.to < 0 || e.from >= in.nodes.size() || e.to >= in.nodes.size()) {
            edges.push_back(nullptr);
            continue;
        }
        char name[24];
        std::snprintf(name, sizeof name, "e%d", i);
        Agedge_t* edge = agedge(g, nodes[size_t(e.from)], nodes[size_t(e.to)], name, 1);
        if (!e.label.isEmpty()) {
            // An empty table cell of exactly the label's size: dot reserves that box.
            char html[256];
            std::snprintf(html, sizeof html,
                          "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"0\"><TR>"
                          "<TD FIXEDSIZE=\"TRUE\" WIDTH=\"%d\" HEIGHT=\"%d\"></TD></TR></TABLE>",
                          int(std::ceil(e.label.width())), int(std::ceil(e.label.height())));
            char* text = agstrdup_html(g, html);
            agxset(edge, label, text);
            agstrfree(g, text);
        }
        edges.push_back(edge);
    }
    if (gvLayout(gvc, g, "dot") != 0) {
        out.error = QStringLiteral("Graphviz's dot layout failed");
        return out;
    }
    const boxf bb = GD_bb(g);
    const double top = bb.UR.y, left = bb.LL.x;
    auto map = [&](pointf p) { return QPointF(p.x - left, top - p.y); };  // dot's y axis points up
    out.size = QSizeF(bb.UR.x - bb.LL.x, bb.UR.y - bb.LL.y);
    for (int i = 0; i < in.nodes.size(); ++i) {
        const QPointF c = map(ND_coord(nodes[size_t(i)]));
        const QSizeF s = in.nodes[i];
        out.nodes.push_back(QRectF(c.x() - s.width() / 2, c.y() - s.height() / 2, s.width(), s.height()));
    }
    for (int i = 0; i < in.edges.size(); ++i) {
        Agedge_t* e = edges[size_t(i)];
        QPainterPath path;
        QPointF tip;
        QRectF box;
        if (e && ED_spl(e) && ED_spl(e)->size > 0) {
            const bezier& bz = ED_spl(e)->list[0];
            if (bz.size > 0) {
                path.moveTo(map(bz.list[0]));
                for (int k = 1; k + 2 < bz.size; k += 3) path.cubicTo(map(bz.list[k]), map(bz.list[k + 1]), map(bz.list[k + 2]));
                tip = bz.eflag ? map(bz.ep) : map(bz.list[bz.size - 1]);
            }
        }
        if (e && ED_label(e) && !in.edges[i].label.isEmpty()) {
            const QPointF c = map(ED_label(e)->pos);
            const QSizeF s = in.edges[i].label;
            box = QRectF(c.x() - s.width() / 2, c.y() - s.height() / 2, s.width(), s.height());
        }
        out.edges.push_back(path);
        out.arrowTips.push_back(tip);
        out.labels.push_back(box);
    }
    gvFreeLayout(gvc, g);
    out.ok = true;
    return out;
}

} // namespace views
