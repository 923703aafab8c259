"""The tensor snippets of seed 000 and seed 004, with the outputs the tutorials print."""
import ember as torch


def test_seed000_tensor_basics():
    tensor = torch.Tensor([[0, 1, 2], [1, 0.2, 0.3]])
    assert repr(tensor) == ("tensor([[0.0000, 1.0000, 2.0000],\n"
                            "        [1.0000, 0.2000, 0.3000]])")
    assert tensor.dtype is torch.float32
    assert repr(tensor.shape) == "ember.Size([2, 3])"
    assert repr(tensor.device) == "device(type='cpu')"
    assert tensor.requires_grad is False


def test_seed000_operations():
    tensor23 = torch.Tensor([[0, 1, 2], [1, 0.2, 0.3]])
    tensor31 = torch.Tensor([[0], [1], [0]])
    tensor21 = torch.Tensor([[1], [2]])
    assert repr(tensor23 + tensor21) == ("tensor([[1.0000, 2.0000, 3.0000],\n"
                                         "        [3.0000, 2.2000, 2.3000]])")
    assert repr(tensor23 - tensor21) == ("tensor([[-1.0000,  0.0000,  1.0000],\n"
                                         "        [-1.0000, -1.8000, -1.7000]])")
    assert repr(tensor23 * tensor21) == ("tensor([[0.0000, 1.0000, 2.0000],\n"
                                         "        [2.0000, 0.4000, 0.6000]])")
    assert repr(tensor23 / tensor21) == ("tensor([[0.0000, 1.0000, 2.0000],\n"
                                         "        [0.5000, 0.1000, 0.1500]])")
    assert repr(torch.matmul(tensor23, tensor31)) == "tensor([[1.0000],\n        [0.2000]])"
    tensor61 = tensor23.reshape((6, 1))
    assert tensor61.shape == (6, 1)
    assert repr(tensor21.to(torch.float16)) == ("tensor([[1.],\n        [2.]], "
                                                "dtype=ember.float16)")


def test_seed004_tensor_shapes():
    vector = torch.tensor([7, 7])
    assert vector.shape == torch.Size([2]) and vector.dtype is torch.int64
    matrix = torch.tensor([[7, 7], [7, 7]])
    assert matrix.shape == torch.Size([2, 2])
    x = torch.randn(2, 3)
    assert x.transpose(0, 1).shape == (3, 2)
    assert x.unsqueeze(1).shape == (2, 1, 3)
    assert x.unsqueeze(0).squeeze(0).shape == (2, 3)
