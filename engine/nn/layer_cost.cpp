#include "engine/nn/layer_cost.h"

#include "engine/core/error.h"
#include "engine/ops/op.h"

namespace nn {

namespace {

// Runs ops at batch 1 and adds up their FLOPs, as Model::build would apply them.
struct Pricer {
    double flops = 0;
    Shape apply(OpKind kind, std::vector<Shape> in, const OpAttrs& attrs = {})
    {
        const OpDecl& d = opDecl(kind);
        const Shape out = d.shape(in.data(), attrs);
        flops += d.flops(in.data(), out, attrs);
        return out;
    }
};

Shape batched(const std::vector<int64_t>& sample)
{
    std::vector<int64_t> v {1};
    v.insert(v.end(), sample.begin(), sample.end());
    return Shape(v);
}

std::vector<int64_t> unbatched(const Shape& s)
{
    std::vector<int64_t> v = s.toVector();
    v.erase(v.begin());
    return v;
}

Shape activation(Pricer& p, const std::string& act, const LayerSpec& l, const Shape& x)
{
    OpAttrs a;
    if (act == "sigmoid") return p.apply(OpKind::Sigmoid, {x});
    if (act == "tanh") return p.apply(OpKind::Tanh, {x});
    if (act == "relu") return p.apply(OpKind::Relu, {x});
    if (act == "softmax") return p.apply(OpKind::Softmax, {x});
    if (act == "leaky_relu") {
        a.scalar = l.slope;
        return p.apply(OpKind::LeakyRelu, {x}, a);
    }
    if (act == "elu") {
        a.scalar = l.alpha;
        return p.apply(OpKind::Elu, {x}, a);
    }
    if (act == "maxout") {
        a.pieces = l.pieces;
        return p.apply(OpKind::Maxout, {x}, a);
    }
    return x;
}

} // namespace

LayerCost layerCost(const LayerSpec& l, const std::vector<std::vector<int64_t>>& inputs)
{
    if (inputs.empty()) throw Error("layer '" + l.id + "' has no input");
    Pricer p;
    LayerCost c;
    Shape x = batched(inputs[0]);
    if (l.type == "dense") {
        if (x.rank() != 2) throw Error("layer '" + l.id + "': a dense layer needs a flat input, got " + Shape(inputs[0]).str());
        const int64_t pre = l.activation == "maxout" ? l.units * l.pieces : l.units;
        x = p.apply(OpKind::MatMul, {x, Shape {x[1], pre}});
        x = p.apply(OpKind::BiasAdd, {x, Shape {pre}});
        x = activation(p, l.activation, l, x);
        c.params = inputs[0][0] * pre + pre;
    } else if (l.type == "conv2d") {
        if (x.rank() != 4) throw Error("layer '" + l.id + "': conv2d needs an image input, got " + Shape(inputs[0]).str());
        OpAttrs a;
        a.stride = l.stride;
        a.padding = l.padding;
        a.dilation = l.dilation;
        x = p.apply(OpKind::Conv2D, {x, Shape {l.filters, x[1], l.kernel, l.kernel}}, a);
        x = p.apply(OpKind::BiasAdd, {x, Shape {l.filters}});
        x = activation(p, l.activation, l, x);
        c.params = l.filters * inputs[0][0] * l.kernel * l.kernel + l.filters;
    } else if (l.type == "maxpool2d" || l.type == "avgpool2d") {
        OpAttrs a;
        a.size = l.size;
        a.stride = l.stride;
        a.padding = l.padding;
        x = p.apply(l.type == "maxpool2d" ? OpKind::MaxPool2D : OpKind::AvgPool2D, {x}, a);
    } else if (l.type == "global_avgpool") {
        x = p.apply(OpKind::GlobalAvgPool, {x});
    } else if (l.type == "batchnorm") {
        const Shape ch {x[1]};
        x = p.apply(OpKind::BatchNorm, {x, ch, ch});
        c.params = 2 * x[1];
    } else if (l.type == "concat" || l.type == "add") {
        for (size_t k = 1; k < inputs.size(); ++k)
            x = p.apply(l.type == "add" ? OpKind::Add : OpKind::Concat, {x, batched(inputs[k])});
    } else if (l.type == "flatten") {
        x = p.apply(OpKind::Flatten, {x});
    } else if (l.type == "dropout") {
        OpAttrs a;
        a.scalar = l.rate;
        x = p.apply(OpKind::Dropout, {x}, a);
    } else {
        x = activation(p, l.type, l, x);
    }
    c.outShape = unbatched(x);
    c.flops = p.flops;
    return c;
}

} // namespace nn
