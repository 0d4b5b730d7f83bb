package account

// commonPasswords are passwords that attackers try first: the most used passwords in
// published leaks, worldwide and from Chinese sites (pinyin, dates, lucky numbers). Checked
// in lower case; any password of 8 or more characters that matches is refused.
var commonPasswords = map[string]struct{}{}

func init() {
	for _, p := range []string{
		"12345678", "123456789", "1234567890", "12345678910", "87654321", "987654321", "0987654321",
		"11111111", "00000000", "88888888", "66666666", "99999999", "12341234", "11223344", "12344321",
		"11112222", "12121212", "123123123", "147258369", "741852963", "159753159", "147852369",
		"123456abc", "abc123456", "abcd1234", "1234abcd", "a1234567", "a12345678", "a123456789",
		"aa123456", "qq123456", "q1w2e3r4", "1q2w3e4r", "1qaz2wsx", "qazwsx123", "zxcvbnm123",
		"qwertyui", "qwerty123", "qwertyuiop", "asdfghjk", "asdfghjkl", "zxcvbnm1", "1qaz2wsx3edc",
		"password", "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "admin123",
		"admin1234", "administrator", "root1234", "welcome1", "welcome123", "iloveyou", "iloveyou1",
		"sunshine", "princess", "football", "baseball", "superman", "starwars", "whatever", "trustno1",
		"dragon123", "monkey123", "letmein1", "changeme", "computer", "internet", "michael1",
		"woaini1314", "woaini520", "wo123456", "woaini123", "5201314520", "52013145", "13145200",
		"1314520520", "521521521", "147147147", "258258258", "369369369", "520520520", "caonima123",
		"zhang123", "wang1234", "li123456", "liu123456", "chen1234", "yang1234", "huang123",
		"zhangwei", "wangwei1", "woshishui", "nihao123", "nihaoma1", "wangyang", "zhongguo",
		"zhongguo1", "shanghai", "beijing1", "china123", "chinese1", "taobao123", "alipay123",
		"weixin123", "qwe123456", "asd123456", "zxc123456", "abc12345", "abcdefgh", "abcdefg1",
		"19900101", "19901010", "19880808", "20000101", "20080808", "20202020", "19491001",
		"cunlu123", "cunlu2026", "partner1", "villager", "demo1234", "test1234", "testtest",
		"guest123", "user1234", "mima1234", "mimamima", "12qwaszx", "1a2b3c4d", "a1b2c3d4",
		"aaaaaaaa", "aaaaaaa1", "qqqqqqqq", "1111aaaa", "aaaa1111", "888888888", "8888888888",
		"666666666", "6666666666", "123654789", "789456123", "456789123", "123789456", "147896325",
		"密码密码密码密码", "我爱你我爱你我爱", "一二三四五六七八",
	} {
		commonPasswords[p] = struct{}{}
	}
}

func isCommonPassword(lower string) bool {
	_, ok := commonPasswords[lower]
	return ok
}

// isCommonPIN lists six-digit PINs that are guessed first beyond simple runs.
func isCommonPIN(pin string) bool {
	switch pin {
	case "123123", "112233", "121212", "520520", "521521", "131452", "147258", "258369",
		"159753", "666888", "888666", "168168", "101010", "202020", "123321", "654456":
		return true
	}
	return false
}
