"""What the model parity reference scripts (vit_reference.py,
convnext_reference.py) share: one model run in eval and in train mode on the
same input, and the gradients of the train-mode loss."""
import torch


def logits_and_gradients(model, x, labels):
    """The eval-mode and train-mode logits of x, in that order; the mean
    cross-entropy of the train-mode logits against labels is back-propagated,
    leaving each parameter's gradient in its .grad."""
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.train()
    logits_train = model(x)
    torch.nn.functional.cross_entropy(logits_train, labels).backward()
    return logits, logits_train.detach().clone()
