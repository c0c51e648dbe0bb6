"""Reference logits and gradients for the Vision Transformer parity test.

usage: vit_reference.py ARCH OUT_FILE [IMAGE_SIZE]

torchvision 0.14's VisionTransformer built at ViT-S/16 (vit_small_patch16_224:
hidden 384, 6 heads, MLP 1536) or ViT-B/16 (vit_base_patch16_224: 768, 12,
3072), 12 layers, patch 16, 224 px, with every tensor drawn at random from a
fixed seed (torchvision zero-initialises the head, which would make the
logits 0), its state_dict renamed to timm's keys. The file holds those
tensors plus "input", "labels", "logits" (eval), "logits_train" (train mode:
no dropout in either, so the same) and "grad.<timm name>": the gradient of
the mean cross-entropy of the train-mode logits, for the first and last
blocks' parameters and every parameter outside the blocks.
"""
import re
import sys

import torch
from torchvision.models.vision_transformer import VisionTransformer

import parity
import tensor_file

SIZES = {
    "vit_small_patch16_224": (384, 6, 1536),
    "vit_base_patch16_224": (768, 12, 3072),
}
CLASSES = 19

RENAMES = [
    (r"^conv_proj\.", "patch_embed.proj."),
    (r"^class_token$", "cls_token"),
    (r"^encoder\.pos_embedding$", "pos_embed"),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.ln_1\.", r"blocks.\1.norm1."),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_weight$", r"blocks.\1.attn.qkv.weight"),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_bias$", r"blocks.\1.attn.qkv.bias"),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.out_proj\.", r"blocks.\1.attn.proj."),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.ln_2\.", r"blocks.\1.norm2."),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.mlp\.0\.", r"blocks.\1.mlp.fc1."),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.mlp\.3\.", r"blocks.\1.mlp.fc2."),
    (r"^encoder\.ln\.", "norm."),
    (r"^heads\.head\.", "head."),
]


def timm_name(name):
    for pattern, replacement in RENAMES:
        renamed, count = re.subn(pattern, replacement, name)
        if count:
            return renamed
    raise SystemExit(f"no timm name for {name}")


def main():
    arch, out = sys.argv[1], sys.argv[2]
    image_size = int(sys.argv[3]) if len(sys.argv) > 3 else 224
    hidden, heads, mlp = SIZES[arch]
    torch.manual_seed(0)
    model = VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=heads, hidden_dim=hidden,
                              mlp_dim=mlp, num_classes=CLASSES)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "encoder.ln.weight":
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.05 * torch.randn_like(p))
    x = torch.randn(2, 3, image_size, image_size)
    labels = torch.tensor([3, 11])
    tensors = {timm_name(k): v.detach().clone() for k, v in model.state_dict().items()}
    tensors["logits"], tensors["logits_train"] = parity.logits_and_gradients(model, x, labels)
    # Gradients of the first and last blocks and of everything outside the
    # blocks: every kind of tensor, without doubling the file.
    for name, p in model.named_parameters():
        timm = timm_name(name)
        if not timm.startswith("blocks.") or timm.startswith("blocks.0.") or timm.startswith("blocks.11."):
            tensors["grad." + timm] = p.grad.detach().clone()
    tensors["input"] = x
    tensors["labels"] = labels
    tensor_file.write(out, tensors)


if __name__ == "__main__":
    main()
