# HCL's parser recurses once per level: the scan before it refuses more
# than 100 levels (the locals block is one), and the file is not parsed.
locals {
  deep = ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((([1]))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))) # ERROR[[1]]: Nesting too deep
}
