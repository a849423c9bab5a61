"""Second census, part a: generative, adversarial and vision-op scripts, ported by one import switch. Each test
writes the calls one public script makes, the way it makes them, runs them under torch and under minitorch_cnn
from the same initial weights (``lib.same_weights``) and holds every result equal (float64: 1e-10 relative, looser
only where a chain of optimizer steps amplifies rounding, with the reason stated).

Random draws the scripts make (noise vectors, the VAE's ``randn_like``) cannot agree between two generators: the
bodies make the call (its shape and dtype are compared) and then use the same NumPy values in both runs. Dropout
is set to p=0 (the two libraries draw different masks). Data: the packaged MNIST sample.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _dual import Lib, dual, unpacked_sample
from _parity import assert_close
from PIL import Image

F64 = np.float64


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(unpacked_sample(tmp_path_factory.mktemp("mnist")))


def _close_all(ours: dict, theirs: dict, tol: float | None = None, skip: tuple = ()) -> None:
    assert ours.keys() == theirs.keys()
    for k in theirs:
        if k in skip:
            continue
        t = theirs[k]
        if isinstance(t, (str, int)) or (isinstance(t, list) and all(isinstance(x, (str, int)) for x in t)):
            assert ours[k] == t, k  # text, counts, class indices: exactly
        else:
            assert_close(np.asarray(ours[k], dtype=F64), np.asarray(theirs[k], dtype=F64), F64, tol=tol, what=k)


def _png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path)).astype(int)


def _same_png(a: Path, b: Path) -> None:
    assert np.abs(_png(a) - _png(b)).max() <= 1  # a pixel may round the other way


# --- pytorch/examples dcgan/main.py (--dataset mnist): ConvTranspose2d/BatchNorm2d/LeakyReLU(inplace) nets, -------
# --- weights_init by class name, torch.full labels, fill_, fake.detach(), BCELoss, Adam(0.5, 0.999), save_image -----


def _dcgan(lib: Lib, root: str, out: str) -> dict:
    L, nn, optim, vutils = lib.lib, lib.nn, lib.optim, lib.vutils
    L.manual_seed(999)
    nz, ngf, ndf, nc, ngpu, batch = 8, 4, 4, 1, 1, 4
    tr = lib.transforms
    dataset = lib.datasets.MNIST(root=root, download=True, transform=tr.Compose([
        tr.Resize(64), tr.ToTensor(), tr.Normalize((0.5,), (0.5,))]))
    dataloader = lib.data.DataLoader(lib.data.Subset(dataset, range(8)), batch_size=batch, shuffle=False)
    device = L.device("cpu")

    def weights_init(m: Any) -> None:
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            L.nn.init.normal_(m.weight, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            L.nn.init.normal_(m.weight, 1.0, 0.02)
            L.nn.init.zeros_(m.bias)

    class Generator(nn.Module):
        def __init__(self, ngpu: int) -> None:
            super().__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
                nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

        def forward(self, input: Any) -> Any:
            if input.is_cuda and self.ngpu > 1:
                return nn.parallel.data_parallel(self.main, input, range(self.ngpu))
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self, ngpu: int) -> None:
            super().__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())

        def forward(self, input: Any) -> Any:
            if input.is_cuda and self.ngpu > 1:
                output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
            else:
                output = self.main(input)
            return output.view(-1, 1).squeeze(1)

    netG = Generator(ngpu).to(device).double()
    netG.apply(weights_init)
    netG = lib.same_weights(netG)
    netD = Discriminator(ngpu).to(device).double()
    netD.apply(weights_init)
    netD = lib.same_weights(netD)
    criterion = nn.BCELoss()
    rng = np.random.default_rng(3)
    fixed_noise = L.tensor(rng.standard_normal((batch, nz, 1, 1)))
    assert tuple(L.randn(batch, nz, 1, 1, device=device).shape) == (batch, nz, 1, 1)
    real_label, fake_label = 1, 0
    optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
    res: dict = {"log": [], "label_dtype": []}
    for _, data in enumerate(dataloader, 0):
        netD.zero_grad()
        real_cpu = data[0].to(device).double()
        batch_size = real_cpu.size(0)
        label = L.full((batch_size,), real_label, dtype=real_cpu.dtype, device=device)
        res["label_dtype"].append(str(label.dtype).split(".")[-1])
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = L.tensor(rng.standard_normal((batch_size, nz, 1, 1)))
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        res["log"].append([errD.item(), errG.item(), D_x, D_G_z1, D_G_z2])
        vutils.save_image(real_cpu, f"{out}/{lib.name}_real_samples.png", normalize=True)
        fake = netG(fixed_noise)
        vutils.save_image(fake.detach(), f"{out}/{lib.name}_fake_samples_epoch_000.png", normalize=True)
    L.save(netG.state_dict(), f"{out}/{lib.name}_netG_epoch_0.pth")
    res["netG_reloaded"] = [v for v in L.load(f"{out}/{lib.name}_netG_epoch_0.pth", weights_only=True).values()]
    res.update({f"D.{k}": v for k, v in netD.state_dict().items()})
    return res


def test_dcgan_main(mnist_root: str, tmp_path: Path) -> None:
    theirs, ours = dual(_dcgan, mnist_root, str(tmp_path))
    # two Adam steps on each net through BatchNorm: the updates divide by running squares of small gradients
    _close_all({k: v for k, v in ours.items() if k != "netG_reloaded"},
               {k: v for k, v in theirs.items() if k != "netG_reloaded"}, tol=1e-9)
    for a, b in zip(ours["netG_reloaded"], theirs["netG_reloaded"], strict=True):
        assert_close(np.asarray(a.tolist()), b.numpy(), F64, tol=1e-9)
    for name in ("real_samples", "fake_samples_epoch_000"):
        _same_png(tmp_path / f"mt_{name}.png", tmp_path / f"torch_{name}.png")


# --- pytorch/examples vae/main.py: reparameterize (exp, randn_like), BCE(sum) + KLD, cat/view/save_image(nrow) --


def _vae(lib: Lib, root: str, out: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    L.manual_seed(1)
    batch_size = 4
    ds = lib.datasets
    train_loader = lib.data.DataLoader(lib.data.Subset(ds.MNIST(root, train=True, download=True,
                                                                transform=lib.transforms.ToTensor()), range(8)),
                                       batch_size=batch_size, shuffle=False)
    test_loader = lib.data.DataLoader(lib.data.Subset(ds.MNIST(root, train=False,
                                                               transform=lib.transforms.ToTensor()), range(8)),
                                      batch_size=batch_size, shuffle=False)
    rng = np.random.default_rng(4)
    shapes: list = []

    class VAE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(784, 40)
            self.fc21 = nn.Linear(40, 20)
            self.fc22 = nn.Linear(40, 20)
            self.fc3 = nn.Linear(20, 40)
            self.fc4 = nn.Linear(40, 784)

        def encode(self, x: Any) -> tuple:
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu: Any, logvar: Any) -> Any:
            std = L.exp(0.5 * logvar)
            eps = L.randn_like(std)
            shapes.append((tuple(eps.shape), str(eps.dtype).split(".")[-1]))
            eps = L.tensor(rng.standard_normal(tuple(std.shape)))  # the same draw in both libraries
            return mu + eps * std

        def decode(self, z: Any) -> Any:
            return L.sigmoid(self.fc4(F.relu(self.fc3(z))))

        def forward(self, x: Any) -> tuple:
            mu, logvar = self.encode(x.view(-1, 784))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    model = lib.same_weights(VAE().double())
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)

    def loss_function(recon_x: Any, x: Any, mu: Any, logvar: Any) -> Any:
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
        KLD = -0.5 * L.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    res: dict = {"train": []}
    model.train()
    train_loss = 0.0
    for data, _ in train_loader:
        data = data.double()
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        res["train"].append(loss.item() / len(data))
    res["avg"] = train_loss / len(train_loader.dataset)
    model.eval()
    test_loss = 0.0
    with L.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.double()
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
            if i == 0:
                n = min(data.size(0), 8)
                comparison = L.cat([data[:n], recon_batch.view(batch_size, 1, 28, 28)[:n]])
                lib.vutils.save_image(comparison.cpu(), f"{out}/{lib.name}_reconstruction_1.png", nrow=n)
                res["comparison"] = comparison
    res["test"] = test_loss / len(test_loader.dataset)
    with L.no_grad():
        shapes.append(tuple(L.randn(64, 20).shape))
        sample = L.tensor(rng.standard_normal((64, 20)))
        sample = model.decode(sample).cpu()
        lib.vutils.save_image(sample.view(64, 1, 28, 28), f"{out}/{lib.name}_sample_1.png")
    res.update(sample=sample, shapes=str(shapes))
    return res


def test_vae_main(mnist_root: str, tmp_path: Path) -> None:
    theirs, ours = dual(_vae, mnist_root, str(tmp_path))
    _close_all(ours, theirs, tol=1e-9)  # two Adam steps through exp(logvar)
    for name in ("reconstruction_1", "sample_1"):
        _same_png(tmp_path / f"mt_{name}.png", tmp_path / f"torch_{name}.png")


# --- the FGSM tutorial: load_state_dict(torch.load(map_location, weights_only)), data.requires_grad = True, -------
# --- data.grad.data.sign(), clamp, denorm with tensor(mean).view(1, -1, 1, 1), Normalize on the attacked image ---


def _fgsm(lib: Lib, root: str, out: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = L.flatten(self.dropout1(x), 1)
            x = self.fc2(self.dropout2(F.relu(self.fc1(x))))
            return F.log_softmax(x, dim=1)

    device = L.device("cpu")
    path = f"{out}/{lib.name}_lenet_mnist_model.pth"
    L.save(lib.same_weights(Net().double()).state_dict(), path)
    tf = lib.transforms.Compose([lib.transforms.ToTensor(), lib.transforms.Normalize((0.1307,), (0.3081,))])
    test_loader = lib.data.DataLoader(lib.data.Subset(lib.datasets.MNIST(root, train=False, download=True,
                                                                         transform=tf), range(5)),
                                      batch_size=1, shuffle=False)
    model = Net().to(device).double()
    model.load_state_dict(L.load(path, map_location=device, weights_only=True))
    model.eval()

    def fgsm_attack(image: Any, epsilon: float, data_grad: Any) -> Any:
        return L.clamp(image + epsilon * data_grad.sign(), 0, 1)

    def denorm(batch: Any, mean: Any = (0.1307,), std: Any = (0.3081,)) -> Any:
        mean = L.tensor(list(mean)).to(device)
        std = L.tensor(list(std)).to(device)
        return batch * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)

    res: dict = {}
    for epsilon in (0, 0.1, 0.3):
        correct, adv, preds = 0, [], []
        for data, target in test_loader:
            data = data.double().to(device)
            data.requires_grad = True
            output = model(data)
            init_pred = output.max(1, keepdim=True)[1]
            loss = F.nll_loss(output, target)
            model.zero_grad()
            loss.backward()
            data_grad = data.grad.data
            perturbed = fgsm_attack(denorm(data), epsilon, data_grad)
            output = model(lib.transforms.Normalize((0.1307,), (0.3081,))(perturbed))
            final_pred = output.max(1, keepdim=True)[1]
            if init_pred.item() != target.item():
                continue
            correct += int(final_pred.item() == target.item())
            preds.append(final_pred.item())
            adv.append(perturbed.squeeze().detach().cpu().numpy())
        res[f"correct_{epsilon}"] = correct
        res[f"preds_{epsilon}"] = preds
        res[f"adv_{epsilon}"] = np.stack(adv) if adv else np.zeros(0)
    return res


def test_fgsm_tutorial(mnist_root: str, tmp_path: Path) -> None:
    theirs, ours = dual(_fgsm, mnist_root, str(tmp_path))
    _close_all(ours, theirs)


# --- the spatial transformer tutorial: localization + fc_loc with zeroed weight / identity bias, ------------------
# --- F.affine_grid(theta, x.size()), F.grid_sample (default align_corners, its warning), convert_image_np ---------


def _stn(lib: Lib, root: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    tf = lib.transforms.Compose([lib.transforms.ToTensor(), lib.transforms.Normalize((0.1307,), (0.3081,))])
    mnist = lib.datasets.MNIST(root, train=True, download=True, transform=tf)
    train_loader = lib.data.DataLoader(lib.data.Subset(mnist, range(8)), batch_size=4, shuffle=False)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d(p=0.0)
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)
            self.localization = nn.Sequential(nn.Conv2d(1, 8, kernel_size=7), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
                                              nn.Conv2d(8, 10, kernel_size=5), nn.MaxPool2d(2, stride=2),
                                              nn.ReLU(True))
            self.fc_loc = nn.Sequential(nn.Linear(10 * 3 * 3, 32), nn.ReLU(True), nn.Linear(32, 3 * 2))
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(L.tensor([1, 0, 0, 0, 1, 0], dtype=L.float))

        def stn(self, x: Any) -> Any:
            xs = self.localization(x).view(-1, 10 * 3 * 3)
            theta = self.fc_loc(xs).view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size())
            return F.grid_sample(x, grid)

        def forward(self, x: Any) -> Any:
            x = self.stn(x)
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = F.relu(self.fc1(x.view(-1, 320)))
            x = F.dropout(x, p=0.0, training=self.training)  # the tutorial's p=0.5: masks differ between libraries
            return F.log_softmax(self.fc2(x), dim=1)

    model = Net().double()
    fresh_bias = model.fc_loc[2].bias.detach().numpy().copy()
    model = lib.same_weights(model)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.5)  # large: theta leaves the identity within two steps
    res: dict = {"fresh_bias": fresh_bias, "losses": [], "warnings": []}
    # MNIST's flat background gives conv outputs equal up to the last bit across a max-pool window; which of them
    # wins then depends on each library's summation order, and so does where the gradient goes. A faint noise
    # (the same in both runs) breaks those near-ties.
    rng = np.random.default_rng(8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.train()
        for data, target in train_loader:
            data = data.double() + L.tensor(1e-3 * rng.standard_normal(tuple(data.shape)))
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            res["losses"].append(loss.item())
        res["warnings"] = sorted({str(w.message) for w in caught})
    model.eval()

    def convert_image_np(inp: Any) -> np.ndarray:
        inp = inp.numpy().transpose((1, 2, 0))
        mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
        return np.clip(std * inp + mean, 0, 1)

    with L.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data = next(iter(train_loader))[0].double()
        transformed = model.stn(data).cpu()
        res["in_grid"] = convert_image_np(lib.vutils.make_grid(data.cpu()))
        res["out_grid"] = convert_image_np(lib.vutils.make_grid(transformed))
        res["theta"] = model.fc_loc(model.localization(data).view(-1, 90))
    return res


def test_spatial_transformer_tutorial(mnist_root: str) -> None:
    theirs, ours = dual(_stn, mnist_root)
    assert ours["warnings"] == theirs["warnings"] and len(theirs["warnings"]) == 1
    _close_all(ours, theirs, tol=1e-9, skip=("warnings",))  # two SGD steps at lr 0.5 through the sampler
    assert np.abs(np.asarray(theirs["theta"]) - [1, 0, 0, 0, 1, 0]).max() > 1e-3  # the sampler was exercised


# --- the neural style transfer tutorial: Normalization/ContentLoss/StyleLoss modules, gram matrix with torch.mm, --
# --- add_module into nn.Sequential(), ReLU(inplace=False), model[:(i + 1)], requires_grad_, LBFGS with a closure --


def _style(lib: Lib, root: str) -> dict:
    L, nn, F = lib.lib, lib.nn, lib.F
    mnist = lib.datasets.MNIST(root, train=True, download=True)
    loader = lib.transforms.Compose([lib.transforms.Resize(24), lib.transforms.ToTensor()])

    def image_loader(k: int) -> Any:
        img = Image.fromarray(np.asarray(mnist[k][0])).convert("RGB")  # a Pillow image, as the tutorial opens
        return loader(img).unsqueeze(0).to(L.device("cpu"), L.float64)

    style_img, content_img = image_loader(0), image_loader(1)

    class ContentLoss(nn.Module):
        def __init__(self, target: Any) -> None:
            super().__init__()
            self.target = target.detach()

        def forward(self, input: Any) -> Any:
            self.loss = F.mse_loss(input, self.target)
            return input

    def gram_matrix(input: Any) -> Any:
        a, b, c, d = input.size()
        features = input.view(a * b, c * d)
        return L.mm(features, features.t()).div(a * b * c * d)

    class StyleLoss(nn.Module):
        def __init__(self, target_feature: Any) -> None:
            super().__init__()
            self.target = gram_matrix(target_feature).detach()

        def forward(self, input: Any) -> Any:
            self.loss = F.mse_loss(gram_matrix(input), self.target)
            return input

    class Normalization(nn.Module):
        def __init__(self, mean: Any, std: Any) -> None:
            super().__init__()
            self.mean = L.tensor(mean).view(-1, 1, 1)
            self.std = L.tensor(std).view(-1, 1, 1)

        def forward(self, img: Any) -> Any:
            return (img - self.mean) / self.std

    # vgg19(weights=None).features' first blocks (the full model's 4096-wide classifier is not needed here)
    cnn = lib.same_weights(nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=2, stride=2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(inplace=True)).double().eval())
    content_layers, style_layers = ["conv_4"], ["conv_1", "conv_2", "conv_3", "conv_4", "conv_5"]
    normalization = Normalization([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    content_losses, style_losses = [], []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = f"conv_{i}"
        elif isinstance(layer, nn.ReLU):
            name = f"relu_{i}"
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = f"pool_{i}"
        else:
            raise RuntimeError(f"Unrecognized layer: {layer.__class__.__name__}")
        model.add_module(name, layer)
        if name in content_layers:
            content_loss = ContentLoss(model(content_img).detach())
            model.add_module(f"content_loss_{i}", content_loss)
            content_losses.append(content_loss)
        if name in style_layers:
            style_loss = StyleLoss(model(style_img).detach())
            model.add_module(f"style_loss_{i}", style_loss)
            style_losses.append(style_loss)
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], (ContentLoss, StyleLoss)):
            break
    model = model[:(i + 1)]
    input_img = content_img.clone()
    input_img.requires_grad_(True)
    model.eval()
    model.requires_grad_(False)
    optimizer = lib.optim.LBFGS([input_img], max_iter=2)
    res: dict = {"repr": repr(model), "scores": []}
    run = [0]
    while run[0] <= 3:
        def closure() -> Any:
            with L.no_grad():
                input_img.clamp_(0, 1)
            optimizer.zero_grad()
            model(input_img)
            style_score = sum(sl.loss for sl in style_losses) * 1e4
            content_score = sum(cl.loss for cl in content_losses) * 1
            loss = style_score + content_score
            loss.backward()
            run[0] += 1
            res["scores"].append([style_score.item(), content_score.item()])
            return style_score + content_score

        optimizer.step(closure)
    with L.no_grad():
        input_img.clamp_(0, 1)
    res["output"] = input_img.detach()
    state = optimizer.state[input_img]
    res["evals"] = [state["func_evals"], state["n_iter"]]
    return res


def test_neural_style_tutorial(mnist_root: str) -> None:
    theirs, ours = dual(_style, mnist_root)
    assert ours["evals"] == theirs["evals"]
    # L-BFGS multiplies rounding about tenfold per iteration on this loss (style weight 1e4, clamp, ReLU: measured
    # 1e-16 after one iteration, 2e-13 after four, 5e-9 after eight), so the run is kept to four iterations
    _close_all(ours, theirs)


# --- the DCGAN faces tutorial on an ImageFolder, with weight_norm / spectral_norm variants (hook and ---------------
# --- parametrization forms): Resize + CenterCrop, make_grid(normalize) transposed for imshow, view(-1) -------------


def _faces(lib: Lib, folder: str) -> dict:
    L, nn, vutils = lib.lib, lib.nn, lib.vutils
    L.manual_seed(999)
    L.use_deterministic_algorithms(True)
    nc, nz, ngf, ndf = 3, 8, 4, 4
    tr = lib.transforms
    dataset = lib.datasets.ImageFolder(root=folder, transform=tr.Compose([
        tr.Resize(64), tr.CenterCrop(64), tr.ToTensor(), tr.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
    dataloader = lib.data.DataLoader(dataset, batch_size=4, shuffle=False, num_workers=0)
    device = L.device("cpu")
    real_batch = next(iter(dataloader))
    res: dict = {"classes": dataset.classes, "grid": np.transpose(
        vutils.make_grid(real_batch[0].to(device)[:64], padding=2, normalize=True).cpu(), (1, 2, 0))}

    def weights_init(m: Any) -> None:
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    SN, PSN, WN = nn.utils.spectral_norm, nn.utils.parametrizations.spectral_norm, \
        nn.utils.parametrizations.weight_norm
    netG = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        WN(nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False)), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()).double()
    netG.apply(weights_init)
    netG = lib.same_weights(netG)
    netD = nn.Sequential(
        SN(nn.Conv2d(nc, ndf, 4, 2, 1, bias=False)), nn.LeakyReLU(0.2, inplace=True),
        SN(nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False)), nn.LeakyReLU(0.2, inplace=True),
        PSN(nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False)), nn.LeakyReLU(0.2, inplace=True),
        PSN(nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False)), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid()).double()
    netD.apply(weights_init)
    netD = lib.same_weights(netD)
    res["D_keys"] = list(netD.state_dict())
    res["D_repr"] = repr(netD)
    criterion = nn.BCELoss()
    rng = np.random.default_rng(9)
    assert tuple(L.randn(64, nz, 1, 1, device=device).shape) == (64, nz, 1, 1)
    fixed_noise = L.tensor(rng.standard_normal((8, nz, 1, 1)))
    optimizerD = lib.optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = lib.optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
    res["log"], img_list = [], []
    for data in dataloader:
        netD.zero_grad()
        real_cpu = data[0].to(device).double()
        b_size = real_cpu.size(0)
        label = L.full((b_size,), 1.0, dtype=L.float64, device=device)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        fake = netG(L.tensor(rng.standard_normal((b_size, nz, 1, 1))))
        label.fill_(0.0)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(1.0)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        optimizerG.step()
        res["log"].append([errD.item(), errG.item(), D_x, output.mean().item()])
        with L.no_grad():
            img_list.append(vutils.make_grid(netG(fixed_noise).detach().cpu(), padding=2, normalize=True))
    res["last_grid"] = img_list[-1]
    res.update({f"D.{k}": v for k, v in netD.state_dict().items()})
    L.use_deterministic_algorithms(False)
    return res


@pytest.fixture(scope="module")
def face_folder(tmp_path_factory: pytest.TempPathFactory, mnist_root: str) -> str:
    """A tiny ImageFolder (two classes, 32x32 RGB PNGs) from MNIST sample digits, for the CelebA folder."""
    import torchvision

    root = tmp_path_factory.mktemp("faces")
    mnist = torchvision.datasets.MNIST(mnist_root, train=True)
    for i in range(8):
        d = root / ("celeba" if i % 2 == 0 else "other")
        d.mkdir(exist_ok=True)
        mnist[i][0].resize((32, 32)).convert("RGB").save(d / f"{i:03d}.png")
    return str(root)


@pytest.mark.filterwarnings("ignore:__array_wrap__ must accept context:DeprecationWarning")  # torch's np.transpose
def test_dcgan_faces_with_weight_and_spectral_norm(face_folder: str) -> None:
    theirs, ours = dual(_faces, face_folder)
    assert ours["D_keys"] == theirs["D_keys"] and ours["D_repr"] == theirs["D_repr"]
    _close_all(ours, theirs, tol=1e-9, skip=("D_keys", "D_repr"))  # two Adam steps through the power iteration
