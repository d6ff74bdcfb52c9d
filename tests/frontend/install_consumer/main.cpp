// Loads a model with the installed fuze and prints its number of fusion groups.
#include <fuze/fuze.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  torch::NoGradGuard no_grad;
  fuze::Module m = fuze::load(argv[1]);
  auto out = m.forward({torch::rand({3, 4}), torch::rand({3, 4})});
  std::cout << "fusion groups: " << m.num_fusion_groups() << ", kernel calls: " << fuze::stats().kernel_calls
            << (out.isTuple() ? ", ok" : ", unexpected output") << std::endl;
  return 0;
}
