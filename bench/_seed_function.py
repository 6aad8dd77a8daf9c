"""The seed's custom Function (../shared/seed), shared by the benchmarks."""


def myrelu_class(lib):
    """The seed's MyReLU, written against `lib` (fngrad or torch)."""

    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    return MyReLU
