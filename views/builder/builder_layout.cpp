#include "views/builder/builder_layout.h"

#include <algorithm>
#include <vector>

#include "views/builder/builder_document.h"

namespace views::builder {

std::map<int, std::pair<double, double>> autoLayout(const Document& doc)
{
    // Depth = longest path from a source; Bellman-Ford style relaxation, bounded by
    // the node count so a cycle ends the loop instead of deepening forever.
    std::map<int, int> depth;
    for (const auto& n : doc.nodes()) depth[n.uid] = 0;
    for (size_t round = 0; round < doc.nodes().size(); ++round) {
        bool moved = false;
        for (const auto& e : doc.edges())
            if (depth.count(e.from) && depth.count(e.to) && depth[e.to] < depth[e.from] + 1) {
                depth[e.to] = depth[e.from] + 1;
                moved = true;
            }
        if (!moved) break;
    }
    int deepest = 0;
    for (const auto& [uid, d] : depth) deepest = std::max(deepest, d);
    // The Loss ends the network: the bottom row, even before it is connected.
    for (const auto& n : doc.nodes())
        if (n.kind == kLossKind && (depth[n.uid] < deepest || doc.inputsOf(n.uid).empty())) depth[n.uid] = ++deepest;

    // Row by row; within a row, nodes sit in the order of their parents' centres
    // (ties: document order), so branches do not cross more than they must.
    std::map<int, std::pair<double, double>> pos;
    for (int row = 0; row <= deepest; ++row) {
        std::vector<std::pair<double, int>> members;  // (key, uid)
        for (size_t i = 0; i < doc.nodes().size(); ++i) {
            const Node& n = doc.nodes()[i];
            if (depth[n.uid] != row) continue;
            double sum = 0;
            int parents = 0;
            for (const auto& e : doc.inputsOf(n.uid))
                if (pos.count(e.from)) sum += pos[e.from].first, ++parents;
            members.push_back({parents ? sum / parents + 1e-3 * double(i) : 1e9 + double(i), n.uid});
        }
        std::sort(members.begin(), members.end());
        const double width = double(members.size()) * kNodeWidth + double(members.size() - 1) * kColumnGap;
        double x = -width / 2;
        for (const auto& m : members) {
            pos[m.second] = {x, row * (kNodeHeight + kRowGap)};
            x += kNodeWidth + kColumnGap;
        }
    }
    return pos;
}

} // namespace views::builder
