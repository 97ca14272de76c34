define($a 1, $b $a$a)
x :: X(${b}, "q\"x", '$a', \<0a 0b>) -> { input -> output } -> Discard
