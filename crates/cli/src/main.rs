fn main() { println!("fjord"); }
